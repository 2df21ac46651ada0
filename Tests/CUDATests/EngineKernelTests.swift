import CUDA
import Testing

/// The typed kernel table matches engine.cu's C declarations, parameter by parameter, so a
/// launch checked against the table is checked against the kernel (no GPU needed).
@Suite struct EngineKernelTests {
    /// Each `extern "C" __global__ void name(...)` in the source, with its parameters' kinds.
    static func declarations(in source: String) -> [String: [EngineKernel.Parameter]] {
        var found: [String: [EngineKernel.Parameter]] = [:]
        var rest = Substring(source)
        while let start = rest.range(of: "__global__ void ") {
            let afterName = rest[start.upperBound...]
            guard let open = afterName.firstIndex(of: "("), let close = afterName[open...].firstIndex(of: ")") else { break }
            let name = String(afterName[..<open])
            found[name] = afterName[afterName.index(after: open)..<close].split(separator: ",").map { parameter in
                let text = parameter.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                if text.contains("*") { return .pointer }
                if text.hasPrefix("long ") { return .int64 }
                if text.hasPrefix("float ") { return .float }
                #expect(text.hasPrefix("int ") || text.hasPrefix("unsigned int "), "unknown C type in \(name): \(text)")
                return .int32
            }
            rest = afterName[close...]
        }
        return found
    }

    @Test func everyKernelIsListedWithItsCSignature() {
        let declared = Self.declarations(in: CUDAKernelSource.engine)
        #expect(declared.count == EngineKernel.all.count)
        #expect(Set(EngineKernel.all.map(\.name)).count == EngineKernel.all.count, "a kernel is listed twice")
        for kernel in EngineKernel.all {
            #expect(declared[kernel.name] == kernel.parameters, "\(kernel.name): engine.cu declares \(declared[kernel.name].map { "\($0)" } ?? "nothing")")
        }
    }

    @Test func theParserReadsMultiLineDeclarations() {
        let source = """
            extern "C" __global__ void two_lines(float *x, const int *ids,
                                                 long n, unsigned int seed, float p) {
            """
        #expect(Self.declarations(in: source)["two_lines"] == [.pointer, .pointer, .int64, .int32, .float])
    }

    @Test func argumentsAreCheckedAgainstTheSignature() {
        #expect(EngineKernel.addScaled.accepts([.address(0), .address(0), .int64(4), .float(1)]))
        // An int where the kernel reads a 64-bit long, a missing argument, one too many.
        #expect(!EngineKernel.addScaled.accepts([.address(0), .address(0), .int32(4), .float(1)]))
        #expect(!EngineKernel.addScaled.accepts([.address(0), .address(0), .int64(4)]))
        #expect(!EngineKernel.reluForward.accepts([.address(0), .address(0), .int32(4), .int32(0)]))
    }
}
