import DiMR
import Diffusion
import Foundation
import Torch

/// The sampler rows of a fixture: the authors' DPM-Solver (`fast`, order 3, time-uniform) with either guidance rule,
/// started from `sample.z_init` for classes `sample.y`, compared with `sample.<rule>.result`.
public enum SamplerParity {
    /// The group of sampler comparisons, or nil when the fixture has no sampler rows.
    public static func group(_ fixture: ParityFixture) throws -> ParityGroup? {
        let rules = ["constant", "decay"].filter { fixture.has("sample.\($0).result") }
        guard !rules.isEmpty else { return nil }
        let model = try fixture.makeModel()
        let noise = try fixture.tensor("sample.z_init", dtype: .float32, rank: 4)
        let classes = try fixture.tensor("sample.y", dtype: .int64, rank: 1)
        let nullText = try fixture.metadata("null_class")
        guard let nullClass = Int(nullText) else {
            throw DiMRError("fixture \(fixture.path): metadata key null_class is not an integer: \(nullText)")
        }
        let schedule = try NoiseSchedule.scaledLinear()
        var comparisons: [ParityComparison] = []
        for rule in rules {
            let key = "sample.\(rule)"
            let settings = try Settings.decode(fixture.metadata(key), key: key, fixture: fixture.path)
            let solver = try AuthorsDPMSolver(schedule: schedule, steps: settings.steps, order: settings.order,
                                              endTime: settings.eps, startTime: settings.T)
            let guidance = Guidance(authorsScale: settings.cfgScale, power: settings.cfgPower)
            let result = try withNoGrad {
                try solver.sample(network: model, noise: noise, classes: classes, nullClass: nullClass, guidance: guidance)
            }
            comparisons.append(try ModelParity.relativeError(result, fixture.tensor(key + ".result"), key: key + ".result"))
        }
        return ParityGroup(name: "sampler results", tolerance: ModelParity.valueTolerance, comparisons: comparisons)
    }

    /// The sampler settings in a fixture's `sample.*` metadata.
    struct Settings: Decodable {
        let cfgScale: Double
        let cfgPower: Double
        let steps: Int
        let method: String
        let order: Int
        let skip: String
        let eps: Double
        let T: Double

        enum CodingKeys: String, CodingKey {
            case cfgScale = "cfg_scale", cfgPower = "cfg_power", steps, method, order, skip, eps, T
        }

        static func decode(_ json: String, key: String, fixture: String) throws -> Settings {
            let settings: Settings
            do {
                settings = try JSONDecoder().decode(Settings.self, from: Data(json.utf8))
            } catch {
                throw DiMRError("fixture \(fixture): metadata key \(key) is not valid sampler JSON: \(error)")
            }
            guard settings.method.contains("fast"), settings.skip == "time_uniform" else {
                throw DiMRError("fixture \(fixture): metadata key \(key) asks for method \(settings.method), skip "
                                + "\(settings.skip); only the authors' fast, time-uniform solver is implemented")
            }
            return settings
        }
    }
}
