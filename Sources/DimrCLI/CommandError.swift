/// An error message for the user, printed as `Error: MESSAGE`.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
