import Foundation
import Testing
@testable import Datasets

/// `synth --funnel`: the known answer is built in (every buy is a live cart), and the control
/// keeps the items and times but not that answer.
@Suite struct FunnelGeneratorTests {
    static func parameters(noSignal: Bool = false) -> FunnelGenerator.Parameters {
        var p = FunnelGenerator.Parameters()
        p.users = 200
        p.items = 150
        p.categories = 6
        p.noSignal = noSignal
        return p
    }

    @Test func everyBuyIsAnItemCartedEarlierWithinTheCartsLifetimeAndNotBoughtSince() {
        let p = Self.parameters()
        let users = FunnelGenerator(parameters: p).generate()
        var buys = 0
        for events in users {
            #expect(zip(events, events.dropFirst()).allSatisfy { $0.time <= $1.time }, "times are in order")
            for (index, event) in events.enumerated() where event.type == .buy {
                buys += 1
                let before = events[..<index]
                let cart = before.lastIndex { $0.item == event.item && $0.type == .cart }
                #expect(cart != nil)
                if let cart {
                    #expect(event.time - events[cart].time <= p.cartLifetimeSeconds)
                    #expect(!before[(cart + 1)...].contains { $0.item == event.item && $0.type == .buy }, "a cart is bought once")
                }
            }
        }
        #expect(buys > 200)
    }

    @Test func theControlKeepsItemsTimesAndRatesButNotTheFunnel() {
        let signal = FunnelGenerator(parameters: Self.parameters()).generate()
        let control = FunnelGenerator(parameters: Self.parameters(noSignal: true)).generate()
        #expect(signal.map { $0.map(\.item) } == control.map { $0.map(\.item) })
        #expect(signal.map { $0.map(\.time) } == control.map { $0.map(\.time) })
        func share(_ users: [[FunnelGenerator.Event]], _ type: FunnelGenerator.EventType) -> Double {
            Double(users.reduce(0) { $0 + $1.filter { $0.type == type }.count }) / Double(users.reduce(0) { $0 + $1.count })
        }
        for type in FunnelGenerator.EventType.allCases { #expect(abs(share(signal, type) - share(control, type)) < 0.02) }
        // In the control a buy is usually not a carted item.
        var cartedBuys = 0, buys = 0
        for events in control {
            for (index, event) in events.enumerated() where event.type == .buy {
                buys += 1
                if events[..<index].contains(where: { $0.item == event.item && $0.type == .cart }) { cartedBuys += 1 }
            }
        }
        #expect(Double(cartedBuys) < 0.5 * Double(buys))
    }

    @Test func theSameSeedGivesTheSameLogAndTheCSVReadsBack() throws {
        let a = FunnelGenerator(parameters: Self.parameters()), b = FunnelGenerator(parameters: Self.parameters())
        let csv = FunnelGenerator.csv(a.generate(), itemCategory: a.itemCategory)
        #expect(csv == FunnelGenerator.csv(b.generate(), itemCategory: b.itemCategory))
        let dir = TemporaryDirectory()
        let prepared = try prepareSequences([dir.file("shop.csv", csv)], in: dir) {
            $0.read.event = ColumnSpec("event")
            $0.attributes = [try! ItemAttributeSpec(parsing: "category")]
        }
        #expect(Set(prepared.dataset.eventTypes) == ["view", "cart", "buy"])
        #expect(prepared.dataset.itemAttributes.first?.itemsWithValues == prepared.dataset.itemCount)
    }
}
