import Torch

/// A set of named parameters that share optimizer settings, as one entry of PyTorch's `param_groups`.
public struct ParameterGroup: @unchecked Sendable {
    /// The parameters with their state-dict names (the names key the optimizer state).
    public var parameters: [(name: String, parameter: Parameter)]
    /// Weight decay of this group; nil uses the optimizer's.
    public var weightDecay: Double?

    /// A group of `parameters` with an optional weight-decay override.
    public init(_ parameters: [(name: String, parameter: Parameter)], weightDecay: Double? = nil) {
        self.parameters = parameters
        self.weightDecay = weightDecay
    }

    /// Splits `parameters` by a rule mapping each name to its weight decay (nil: the optimizer's);
    /// one group per distinct value, in order of first appearance, parameters in their given order.
    public static func grouped(_ parameters: [(name: String, parameter: Parameter)],
                               weightDecay rule: (String) -> Double?) -> [ParameterGroup] {
        var groups: [ParameterGroup] = []
        for (name, parameter) in parameters {
            let decay = rule(name)
            if let i = groups.firstIndex(where: { $0.weightDecay == decay }) {
                groups[i].parameters.append((name, parameter))
            } else {
                groups.append(ParameterGroup([(name, parameter)], weightDecay: decay))
            }
        }
        return groups
    }

    /// A rule for `grouped` that gives weight decay 0 to parameters whose last name component is one
    /// of `names` and the optimizer's decay to the rest.
    ///
    /// `noDecay(["nodecay_weight", "nodecay_bias"])` is the DiMR authors' split: only the
    /// time-dependent parameters' sigmoid weight and bias skip weight decay.
    public static func noDecay(_ names: Set<String>) -> @Sendable (String) -> Double? {
        { fullName in
            let last = fullName.split(separator: ".").last.map(String.init) ?? fullName
            return names.contains(last) ? 0 : nil
        }
    }
}
