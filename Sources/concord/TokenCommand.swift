import ArgumentParser
import ConcordCore
import ConcordStore
import Foundation
import Logging

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke API tokens.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token; the token is printed alone on the last line, once: only its hash is kept."
        )

        @OptionGroup var node: NodeOptions

        @Option(help: "Role: checker (checks only), analyst (reports and indicators), admin (everything).")
        var role: String

        @Option(help: "Who or what the token is for.")
        var label: String = ""

        @Option(
            help: """
                For a checker: which records its answers draw on. green (CLEAR and GREEN, the default), amber (also \
                AMBER) or all (also AMBER+STRICT and RED). Analysts and admins always see every record.
                """
        )
        var scope: String = CheckScope.green.rawValue

        func run() async throws {
            guard let tokenRole = TokenRole(rawValue: role) else {
                throw ValidationError("--role must be one of checker, analyst, admin")
            }
            guard let checkScope = CheckScope(rawValue: scope) else {
                throw ValidationError("--scope must be one of green, amber, all")
            }
            _ = try node.load()
            let store = try await node.openStore(logger: makeLogger(level: .warning))
            let secret = TokenSecret.generate()
            do {
                let token = try await store.addToken(
                    id: secret.id,
                    hash: secret.hash,
                    role: tokenRole,
                    label: label,
                    scope: checkScope
                )
                let scopeNote = tokenRole == .checker ? ", check scope \(checkScope.rawValue)" : ""
                print("token \(token.id) (\(token.role.rawValue)\(scopeNote)) created; keep it secret, it is not shown again:")
                print(secret.token)
            } catch {
                await store.close()
                throw error
            }
            await store.close()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never the tokens themselves).")

        @OptionGroup var node: NodeOptions

        func run() async throws {
            _ = try node.load()
            let store = try await node.openStore(logger: makeLogger(level: .warning))
            let tokens = try await store.tokens()
            await store.close()
            print("id\trole\tscope\tcreated\trevoked\tlabel")
            for t in tokens {
                print(
                    "\(t.id)\t\(t.role.rawValue)\t\(t.checkScope.rawValue)\t\(t.created.rfc3339)\t\(t.revoked?.rfc3339 ?? "-")\t\(t.label)"
                )
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a token by its id; a running node stops accepting it within 5 seconds."
        )

        @OptionGroup var node: NodeOptions

        @Argument(help: "The token's id, as `token list` shows it.")
        var id: String

        func run() async throws {
            _ = try node.load()
            let store = try await node.openStore(logger: makeLogger(level: .warning))
            let revoked = try await store.revokeToken(id: id)
            await store.close()
            guard revoked else { throw ValidationError("no live token with id \(id)") }
            print("token \(id) revoked")
        }
    }
}
