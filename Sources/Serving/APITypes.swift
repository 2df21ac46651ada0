import Hummingbird

/// One recommended item in an answer.
public struct RecommendedItem: Codable, Sendable, Equatable {
    /// The original item id, as in the raw logs.
    public var item: String
    public var title: String?
    /// The model's score (a logit; higher is more likely). For the popularity fallback: event count.
    public var score: Double

    public init(item: String, title: String? = nil, score: Double) {
        self.item = item
        self.title = title
        self.score = score
    }
}

/// `POST /v1/predict` body.
public struct PredictRequest: Codable, Sendable {
    /// Original item ids, oldest first. Longer than the model's max length: only the most recent are used.
    public var history: [String]
    /// Each history entry's event type (`{"item", "event"}` entries), when any was given.
    public var historyEvents: [String?]?
    /// Each history entry's unix time (`{"item", "ts"}` entries), when any was given.
    public var historyTimes: [Int64?]?
    /// How many items to return (1…1000, default 10).
    public var k: Int?
    /// Leave out items already in the history (default false).
    public var excludeSeen: Bool?

    public init(history: [String], k: Int? = nil, excludeSeen: Bool? = nil) {
        self.history = history
        self.k = k
        self.excludeSeen = excludeSeen
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let list = try container.decode(ItemIdList.self, forKey: .history)
        history = list.ids
        historyEvents = list.events
        historyTimes = list.times
        k = try container.decodeIfPresent(Int.self, forKey: .k)
        excludeSeen = try container.decodeIfPresent(Bool.self, forKey: .excludeSeen)
    }

    enum CodingKeys: String, CodingKey {
        case history, k
        case excludeSeen = "exclude_seen"
    }
}

/// `POST /v1/predict` answer.
public struct PredictResponse: Codable, Sendable {
    public var items: [RecommendedItem]
    /// The model that answered (`GET /v1/model`'s id).
    public var model: String
    /// History ids the model does not know; they were skipped.
    public var unknown: [String]
    /// How many history items the model saw (after skipping unknown ones and cutting to max length).
    public var historyUsed: Int
    /// "model", or "popularity" when no known history item was left.
    public var source: String
    /// Event types in the history that the model's data does not have (read as unknown), when any.
    public var unknownEvents: [String]? = nil

    enum CodingKeys: String, CodingKey {
        case items, model, unknown, source
        case historyUsed = "history_used"
        case unknownEvents = "unknown_events"
    }
}

/// `POST /v1/predict/batch` body.
public struct BatchPredictRequest: Codable, Sendable {
    /// Up to 256 requests, answered in the same order.
    public var requests: [PredictRequest]
}

/// `POST /v1/predict/batch` answer.
public struct BatchPredictResponse: Codable, Sendable {
    public var results: [PredictResponse]
}

/// One event of a user (`POST /v1/users/{id}/events`).
public struct UserEvent: Codable, Sendable, Equatable {
    /// Original item id.
    public var item: String
    /// Unix seconds; the server's clock when absent.
    public var timestamp: Int64?
    /// What the user did (view, cart, buy, …), for models that read event types; optional.
    public var event: String?

    public init(item: String, timestamp: Int64? = nil, event: String? = nil) {
        self.item = item
        self.timestamp = timestamp
        self.event = event
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let text = try? container.decode(String.self, forKey: .item) {
            item = text
        } else {
            item = String(try JSONSafeInteger.decode(container, forKey: .item))
        }
        let absent = try !container.contains(.timestamp) || container.decodeNil(forKey: .timestamp)
        timestamp = absent ? nil : try JSONSafeInteger.decode(container, forKey: .timestamp)
        event = try container.decodeIfPresent(String.self, forKey: .event)
    }

    enum CodingKeys: String, CodingKey { case item, timestamp, event }
}

/// `POST /v1/users/{id}/events` body: one or more events, oldest first.
public struct UserEventsRequest: Codable, Sendable {
    public var events: [UserEvent]
}

/// `POST /v1/users/{id}/events` answer: the events are durable once this is sent.
public struct UserEventsResponse: Codable, Sendable, ResponseEncodable {
    public var user: String
    public var accepted: Int
    /// Events now stored for the user.
    public var historyLength: Int
    /// Accepted items the current model does not know (kept: a later model may).
    public var unknown: [String]

    enum CodingKeys: String, CodingKey {
        case user, accepted, unknown
        case historyLength = "history_length"
    }
}

/// `GET /v1/users/{id}/recommendations` answer.
public struct UserRecommendationsResponse: Codable, Sendable {
    public var user: String
    public var historyLength: Int
    public var prediction: PredictResponse

    enum CodingKeys: String, CodingKey {
        case user, prediction
        case historyLength = "history_length"
    }
}

/// `GET /v1/items` answer (the web page's item search).
public struct ItemSearchResponse: Codable, Sendable, ResponseEncodable {
    public var items: [RecommendedItem]
}

/// `GET /v1/stats` answer: what the web page shows live.
public struct StatsResponse: Codable, Sendable, ResponseEncodable {
    public var requests: Int
    public var errors: Int
    public var predictions: Int
    public var queued: Int
    public var uptimeSeconds: Double
    public var residentBytes: Int

    enum CodingKeys: String, CodingKey {
        case requests, errors, predictions, queued
        case uptimeSeconds = "uptime_seconds"
        case residentBytes = "resident_bytes"
    }
}

/// `GET /healthz` and `GET /readyz` answer.
public struct HealthResponse: Codable, Sendable, ResponseEncodable {
    public var status: String
    public var model: String?
}

/// `POST /admin/reload` answer.
public struct ReloadResponse: Codable, Sendable, ResponseEncodable {
    public var previous: String
    public var model: String
    public var reloaded: Bool
}

extension ModelCard: ResponseEncodable {}
