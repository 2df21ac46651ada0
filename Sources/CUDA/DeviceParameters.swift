import CCUDA
import Engine

/// A model's parameters and gradients on a GPU, in the same flat layout as its `ParameterSet`:
/// the weights go up before each step (the optimizer runs on the CPU), the gradient comes back
/// and is added to `ParameterSet.gradients` — divided by the loss scale for fp16 products.
public final class DeviceParameters {
    public let context: CUDAContext
    public let values: DeviceBuffer
    public let gradients: DeviceBuffer
    private let offsets: [String: Int]
    private var hostGradient: [Float]
    /// The products' precision; fp16 brings loss scaling.
    public let precision: Precision
    private(set) var scaler = LossScaler()

    public init(_ parameters: ParameterSet, precision: Precision, context: CUDAContext) throws {
        self.context = context
        self.precision = precision
        offsets = Dictionary(uniqueKeysWithValues: parameters.tensors.map { ($0.name, $0.offset) })
        values = try context.allocate(floats: parameters.values.count)
        gradients = try context.allocate(floats: parameters.values.count)
        hostGradient = [Float](repeating: 0, count: parameters.values.count)
    }

    /// Element `offset` of tensor `name`'s values / gradient on the device.
    public func value(_ name: String, _ offset: Int = 0) -> CUdeviceptr { values.address(offsets[name]! + offset) }
    public func gradient(_ name: String, _ offset: Int = 0) -> CUdeviceptr { gradients.address(offsets[name]! + offset) }

    /// What the loss gradient is multiplied by before the backward pass.
    public var lossScale: Float { precision == .fp16 ? scaler.scale : 1 }

    /// Uploads the current weights.
    public func upload(_ parameters: ParameterSet) throws {
        try context.copy(parameters.values.pointer, count: parameters.values.count, to: values)
    }

    /// Zeroes the device gradient before a step.
    public func zeroGradients() throws {
        try context.zero(gradients.pointer, count: gradients.count)
    }

    /// Adds the step's device gradient (divided by the loss scale) to `parameters.gradients`.
    /// With fp16 products a gradient that overflowed adds nothing and lowers the scale.
    public func addGradients(to parameters: ParameterSet) throws {
        try hostGradient.withUnsafeMutableBufferPointer { try context.copy(gradients, count: gradients.count, to: $0.baseAddress!) }
        let all = parameters.gradients.pointer
        if precision == .fp16 {
            _ = hostGradient.withUnsafeBufferPointer { scaler.unscale($0, addingTo: all) }
        } else {
            for i in 0..<hostGradient.count { all[i] += hostGradient[i] }
        }
    }
}
