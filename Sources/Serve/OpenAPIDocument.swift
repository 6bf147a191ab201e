/// The OpenAPI 3.1 description of the API, served at `/openapi.json` (a test checks it lists every route).
enum OpenAPIDocument {
    static let json = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "dimr serve",
        "version": "1",
        "description": "Class-conditional image generation with a DiMR model. POST /v1/generate queues a job and answers at once; follow it with GET /v1/jobs/{id} or the Server-Sent Events of /v1/jobs/{id}/events, then fetch its images. One worker samples jobs in order, batching requests with the same sampler, steps and guidance into one network batch (each keeps its own seed and images). Errors are JSON {error, field}: an unknown path answers 404, a known path asked with another method 405 with Allow. Every request must name the server in its Host header by an IP address, localhost or the host it was started with (else 403: a defence against DNS rebinding), and a request with an Origin header must come from the server's own origin (else 403)."
      },
      "paths": {
        "/": {"get": {"summary": "The browser page", "responses": {"200": {"description": "HTML", "content": {"text/html": {}}}}}},
        "/openapi.json": {"get": {"summary": "This description", "responses": {"200": {"description": "OpenAPI JSON", "content": {"application/json": {}}}}}},
        "/healthz": {"get": {"summary": "Liveness and queue length", "responses": {"200": {"description": "Health", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}}},
        "/v1/models": {"get": {"summary": "The model served: configuration, classes with names, parameter count, and the allowed request values",
          "responses": {"200": {"description": "Models and limits", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Models"}}}}}}},
        "/v1/generate": {"post": {"summary": "Queue a generation job",
          "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GenerateRequest"}}}},
          "responses": {
            "202": {"description": "Queued; Location names the job", "headers": {"Location": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobStatus"}}}},
            "400": {"$ref": "#/components/responses/Error"},
            "403": {"$ref": "#/components/responses/Error"},
            "413": {"$ref": "#/components/responses/Error"},
            "415": {"description": "The Content-Type is not application/json (parameters such as charset are allowed)",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "429": {"description": "The queue is full", "headers": {"Retry-After": {"description": "Seconds until the running batch likely ends (1...600)", "schema": {"type": "integer"}}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "503": {"$ref": "#/components/responses/Error"}}}},
        "/v1/jobs/{id}": {
          "parameters": [{"$ref": "#/components/parameters/JobID"}],
          "get": {"summary": "A job's status", "responses": {
            "200": {"description": "Status", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobStatus"}}}},
            "404": {"$ref": "#/components/responses/Error"}}},
          "delete": {"summary": "Cancel a queued or running job (a running one stops after its current solver step)", "responses": {
            "200": {"description": "Cancelled", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobStatus"}}}},
            "404": {"$ref": "#/components/responses/Error"},
            "409": {"$ref": "#/components/responses/Error"}}}},
        "/v1/jobs/{id}/events": {
          "parameters": [{"$ref": "#/components/parameters/JobID"}],
          "get": {"summary": "Server-Sent Events: queued {position}, started {steps, batch_jobs, batch_images}, progress {step, steps, time, progress} after each solver step, preview {step, image (PNG data URL of the x0 prediction)} every preview_every solver steps and after the last, then one of done {images, seconds}, failed {error}, cancelled {reason}. Earlier events are replayed to late subscribers; the stream ends after the last event.",
            "responses": {"200": {"description": "Event stream", "content": {"text/event-stream": {}}}, "404": {"$ref": "#/components/responses/Error"}}}},
        "/v1/jobs/{id}/images/{k}.png": {
          "parameters": [{"$ref": "#/components/parameters/JobID"},
                         {"name": "k", "in": "path", "required": true, "description": "Image index, class-major", "schema": {"type": "integer", "minimum": 0}}],
          "get": {"summary": "Image k of a finished job", "responses": {"200": {"description": "PNG", "content": {"image/png": {}}},
            "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
        "/v1/jobs/{id}/grid.png": {
          "parameters": [{"$ref": "#/components/parameters/JobID"}],
          "get": {"summary": "All images of a finished job, one labelled row per class", "responses": {"200": {"description": "PNG", "content": {"image/png": {}}},
            "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
        "/v1/jobs/{id}/samples.npz": {
          "parameters": [{"$ref": "#/components/parameters/JobID"}],
          "get": {"summary": "A finished npz job's images: uint8 NHWC arr_0 (3 channels) and int64 labels arr_1", "responses": {
            "200": {"description": "NPZ", "content": {"application/octet-stream": {}}},
            "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}}
      },
      "components": {
        "parameters": {"JobID": {"name": "id", "in": "path", "required": true, "description": "The server-generated job id", "schema": {"type": "string"}}},
        "responses": {"Error": {"description": "An error naming the field at fault", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
        "schemas": {
          "Error": {"type": "object", "properties": {"error": {"type": "string"}, "field": {"type": "string"}}, "required": ["error"]},
          "ClassItem": {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string"}], "description": "A class index, or a class name of GET /v1/models"},
          "GenerateRequest": {"type": "object", "additionalProperties": false, "properties": {
            "class": {"$ref": "#/components/schemas/ClassItem"},
            "classes": {"type": "array", "items": {"$ref": "#/components/schemas/ClassItem"}, "minItems": 1, "description": "Default: all classes. Give class or classes, not both."},
            "per_class": {"type": "integer", "minimum": 1, "default": 4, "description": "classes x per_class is at most limits.max_images"},
            "seed": {"type": "integer", "minimum": 0, "maximum": 18446744073709551615, "default": 0, "description": "Image k's noise depends only on (seed, k)"},
            "sampler": {"type": "string", "enum": ["dpm-solver", "dpm-solver++", "ddim", "unipc-2", "unipc-3", "dpm-solver++-3m-sde"], "default": "dpm-solver"},
            "steps": {"type": "integer", "minimum": 1, "default": 25, "description": "Denoiser calls, at most limits.steps[1]"},
            "guidance": {"type": "string", "enum": ["constant", "decayed", "none"], "default": "constant",
                         "description": "constant: cond + scale (cond - uncond); decayed: uncond + s(t) (cond - uncond), s rising from 1 at t = 1000 to scale at t = 0"},
            "scale": {"type": "number", "minimum": -1000, "maximum": 1000, "default": 1.0, "description": "At least 1 for the decayed rule"},
            "power": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000, "default": 1.0, "description": "Power of the decayed rule"},
            "interval": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2,
                         "description": "Guide only at times low < t <= high on the 0...1000 scale (1000 = pure noise)"},
            "format": {"type": "string", "enum": ["png", "npz"], "default": "png", "description": "npz adds samples.npz to the PNGs"},
            "preview_every": {"type": "integer", "minimum": 0, "default": 0, "description": "Solver steps between preview events (the unit of started.steps and progress.step, fewer than steps for dpm-solver: 9 for 25), plus one after the last solver step; at most the solver steps; 0: none"}}},
          "JobStatus": {"type": "object", "properties": {
            "id": {"type": "string"},
            "status": {"type": "string", "enum": ["queued", "running", "done", "failed", "cancelled"]},
            "position": {"type": "integer", "description": "Place in the queue, 1 = next (while queued)"},
            "step": {"type": "integer"}, "steps": {"type": "integer", "description": "Solver steps (the sampler's; fewer than settings.steps for dpm-solver)"},
            "progress": {"type": "number", "minimum": 0, "maximum": 1},
            "images": {"type": "integer"},
            "settings": {"type": "object", "description": "The request with defaults filled in and classes as indices"},
            "created": {"type": "string", "format": "date-time"}, "started": {"type": "string", "format": "date-time"},
            "finished": {"type": "string", "format": "date-time"}, "seconds": {"type": "number"},
            "batch_jobs": {"type": "integer", "description": "Requests in its network batch"},
            "error": {"type": "string"}, "reason": {"type": "string"},
            "events": {"type": "string", "description": "URL of the event stream"},
            "files": {"type": "object", "description": "When done", "properties": {
              "grid": {"type": "string"}, "images": {"type": "array", "items": {"type": "string"}}, "npz": {"type": "string"}}}},
            "required": ["id", "status", "step", "steps", "progress", "images", "settings", "created", "events"]},
          "Health": {"type": "object", "properties": {"status": {"type": "string", "enum": ["ok", "stopping"]},
            "queued": {"type": "integer"}, "running": {"type": "integer"}, "queue_capacity": {"type": "integer"}}},
          "Models": {"type": "object", "properties": {
            "models": {"type": "array", "items": {"type": "object", "properties": {
              "name": {"type": "string"}, "image_shape": {"type": "array", "items": {"type": "integer"}},
              "classes": {"type": "array", "items": {"type": "object", "properties": {"index": {"type": "integer"}, "name": {"type": "string"}}}},
              "parameters": {"type": "integer"}, "weights": {"type": "string"},
              "configuration": {"type": "object", "description": "The DiMR configuration, in the authors' field names"}}}},
            "limits": {"type": "object", "description": "Allowed values: samplers, guidance, formats, max_images, steps [min, max], scale, power, interval, max_body_bytes, queue_capacity, batch_size, defaults"}}}
        }
      }
    }
    """#
}
