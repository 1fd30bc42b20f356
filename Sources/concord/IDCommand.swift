import ArgumentParser
import ConcordCore
import ConcordStore

struct IDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "id",
        abstract: "Print the node's id alone on one line: what a peer passes to `concord peer add --id`."
    )

    @Option(name: .long, help: "The node's data directory.")
    var dataDir: String = "./concord-data"

    func run() throws {
        do {
            print(try DataDirectory(path: dataDir).load().key.nodeID)
        } catch let error as DataDirectoryError {
            throw ValidationError(error.description)
        }
    }
}
