/// One kernel of `engine.cu` with its C parameter list, so that a launch is checked in Swift
/// before it reaches the driver: a wrong argument count or kind would otherwise be read by the
/// GPU as garbage (a fault or silently wrong numbers), not reported. `KernelCompileTests` parses
/// engine.cu and checks that every declaration matches its entry here, so the two cannot drift.
public struct EngineKernel: Sendable, Hashable, CustomStringConvertible {
    /// How a C parameter is passed: a device pointer (8 bytes), a 32-bit `int` or
    /// `unsigned int`, a 64-bit `long`, or a `float`.
    public enum Parameter: Sendable, Hashable {
        case pointer, int32, int64, float
    }

    /// The `extern "C"` name in engine.cu.
    public let name: String
    /// The C parameters in order.
    public let parameters: [Parameter]

    init(_ name: String, _ parameters: [Parameter]) {
        self.name = name
        self.parameters = parameters
    }

    public var description: String { name }

    /// Whether `arguments` are what the kernel's C signature takes, kind by kind.
    public func accepts(_ arguments: [KernelArgument]) -> Bool {
        arguments.count == parameters.count && zip(arguments, parameters).allSatisfy { $0.parameter == $1 }
    }
}

extension KernelArgument {
    /// The C parameter kind this argument fills.
    var parameter: EngineKernel.Parameter {
        switch self {
        case .buffer, .address: .pointer
        case .int32: .int32
        case .int64: .int64
        case .float: .float
        }
    }
}

extension EngineKernel {
    private static let p = Parameter.pointer, i = Parameter.int32, l = Parameter.int64, f = Parameter.float

    /// x[r, c] += bias[c].
    public static let addBias = EngineKernel("add_bias", [p, p, i, i])
    /// db[c] += Σ_r dy[r, c].
    public static let biasBackward = EngineKernel("bias_backward", [p, p, i, i])
    public static let reluForward = EngineKernel("relu_forward", [p, p, i])
    public static let reluBackward = EngineKernel("relu_backward", [p, p, p, i])
    public static let geluForward = EngineKernel("gelu_forward", [p, p, i])
    public static let geluBackward = EngineKernel("gelu_backward", [p, p, p, i])
    /// Adam / AdamW over the flat parameter buffer.
    public static let adamUpdate = EngineKernel("adam_update", [p, p, p, p, i, f, f, f, f, f, f])
    public static let embeddingForward = EngineKernel("embedding_forward", [p, p, p, i, i])
    public static let embeddingBackward = EngineKernel("embedding_backward", [p, p, p, i, i])
    /// Loss per row and, when asked, scale · (softmax − onehot) in place.
    public static let softmaxCrossEntropy = EngineKernel("softmax_cross_entropy", [p, p, p, p, i, i, f, i])
    public static let layerNormForward = EngineKernel("layer_norm_forward", [p, p, p, p, p, p, i, i, f])
    public static let layerNormBackward = EngineKernel("layer_norm_backward", [p, p, p, p, p, p, p, p, i, i])
    /// The two seeds are `unsigned int` halves of a 64-bit seed.
    public static let dropoutForward = EngineKernel("dropout_forward", [p, p, i, f, i, i])
    public static let dropoutBackward = EngineKernel("dropout_backward", [p, p, i])
    public static let lstmCellForward = EngineKernel("lstm_cell_forward", [p, p, p, i, i])
    public static let lstmCellForwardStep = EngineKernel("lstm_cell_forward_step", [p, p, p, i, p, p, p, p, i, i])
    public static let lstmCellBackward = EngineKernel("lstm_cell_backward", [p, p, p, p, p, p, i, i])
    public static let gruCellForward = EngineKernel("gru_cell_forward", [p, p, p, p, i, i])
    public static let gruCellBackward = EngineKernel("gru_cell_backward", [p, p, p, p, p, p, p, i, i])
    public static let causalSoftmaxForward = EngineKernel("causal_softmax_forward", [p, p, i, i, i, f])
    public static let causalSoftmaxBackward = EngineKernel("causal_softmax_backward", [p, p, i, i, f])
    /// Partial sums of squares, one per block (gradient clipping).
    public static let sumOfSquares = EngineKernel("sum_of_squares", [p, p, l])
    public static let scaleValues = EngineKernel("scale_values", [p, l, f])
    /// y += α · x.
    public static let addScaled = EngineKernel("add_scaled", [p, p, l, f])
    /// Sets the logits of items already in the history to −∞ (seen-item exclusion in the loss).
    public static let maskHistoryLogits = EngineKernel("mask_history_logits", [p, p, p, i, i, i, i])

    /// Every kernel in engine.cu.
    public static let all: [EngineKernel] = [
        addBias, biasBackward, reluForward, reluBackward, geluForward, geluBackward, adamUpdate, embeddingForward,
        embeddingBackward, softmaxCrossEntropy, layerNormForward, layerNormBackward, dropoutForward, dropoutBackward,
        lstmCellForward, lstmCellForwardStep, lstmCellBackward, gruCellForward, gruCellBackward, causalSoftmaxForward,
        causalSoftmaxBackward, sumOfSquares, scaleValues, addScaled, maskHistoryLogits,
    ]
}
