import Diffusion

/// The JSON answers of the informational routes.
enum APIAnswers {
    /// `GET /healthz`.
    struct Health: Encodable {
        /// ok, or stopping during shut-down.
        let status: String
        let queued: Int
        let running: Int
        let queueCapacity: Int
    }

    /// `GET /v1/models`: the model served and what requests may ask for.
    struct Models: Encodable {
        let models: [ModelSummary]
        let limits: Limits
    }

    /// The values a generate request may take.
    struct Limits: Encodable {
        let samplers = SamplerName.allCases.map(\.rawValue)
        let guidance = JobSpec.Rule.allCases.map(\.rawValue)
        let formats = JobSpec.Format.allCases.map(\.rawValue)
        let maxImages: Int
        let steps: [Int]
        let scale = [-1000.0, 1000.0]
        let power = "(0, 1000]"
        let interval = [0.0, NoiseSchedule.timeScale]
        let maxBodyBytes: Int
        let queueCapacity: Int
        let batchSize: Int
        let defaults = Defaults()

        init(_ configuration: ServeConfiguration) {
            maxImages = configuration.maxImagesPerRequest
            steps = [1, configuration.maxSteps]
            maxBodyBytes = configuration.maxBodyBytes
            queueCapacity = configuration.queueCapacity
            batchSize = configuration.batchSize
        }
    }

    /// The value of each field a request leaves out.
    struct Defaults: Encodable {
        let classes = "all"
        let perClass = 4
        let seed = 0
        let sampler = SamplerName.dpmSolver.rawValue
        let steps = 25
        let guidance = JobSpec.Rule.constant.rawValue
        let scale = 1.0
        let power = 1.0
        let format = JobSpec.Format.png.rawValue
        let previewEvery = 0
    }
}
