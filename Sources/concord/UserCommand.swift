import ArgumentParser
import ConcordCore
import ConcordStore
import ConcordWeb
import Foundation
import Logging

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Create, list and disable the accounts people sign in to the node's pages with.",
        subcommands: [Create.self, List.self, Disable.self, Password.self]
    )

    /// A password read from standard input (first line), or a new random one that is printed once.
    static func password(fromStandardInput: Bool) throws -> (String, generated: Bool) {
        guard fromStandardInput else {
            return (WebPassword.generate(), true)
        }
        guard let line = readLine(strippingNewline: true) else { throw ValidationError("no password on standard input") }
        if let weakness = PasswordHasher.weakness(of: line) { throw ValidationError(weakness) }
        return (line, false)
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account. Without --password-stdin a random password is made and printed once."
        )

        @OptionGroup var node: NodeOptions

        @Argument(help: "The user name: lower-case letters, digits, '.', '_' and '-'.")
        var username: String

        @Option(help: "Role: checker (the check page only), analyst (every page), admin (also peers and communities).")
        var role: String

        @Flag(help: "Read the password from the first line of standard input (at least 12 characters).")
        var passwordStdin = false

        func run() async throws {
            guard let userRole = TokenRole(rawValue: role) else {
                throw ValidationError("--role must be one of checker, analyst, admin")
            }
            if let problem = UserName.problem(username) { throw ValidationError(problem) }
            let (password, generated) = try UserCommand.password(fromStandardInput: passwordStdin)
            _ = try node.load()
            let store = try await node.openStore(logger: makeLogger(level: .warning))
            do {
                let user = try await store.addUser(
                    id: UserName.newID(),
                    username: username,
                    role: userRole,
                    passwordHash: PasswordHasher.hash(password)
                )
                print("user \(user.username) (\(user.role.rawValue)) created")
                if generated { print("password, shown once:\n\(password)") }
            } catch UserStoreError.usernameTaken {
                await store.close()
                throw ValidationError("the user name \(username) is taken")
            } catch {
                await store.close()
                throw error
            }
            await store.close()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts (never their passwords).")

        @OptionGroup var node: NodeOptions

        func run() async throws {
            _ = try node.load()
            let store = try await node.openStore(logger: makeLogger(level: .warning))
            let users = try await store.users()
            await store.close()
            print("username\trole\tcreated\tlocked until\tdisabled")
            for u in users {
                print(
                    "\(u.username)\t\(u.role.rawValue)\t\(u.created.rfc3339)\t\(u.lockedUntil?.rfc3339 ?? "-")\t\(u.disabled?.rfc3339 ?? "-")"
                )
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an account and end its sessions.")

        @OptionGroup var node: NodeOptions

        @Argument(help: "The user name.")
        var username: String

        func run() async throws {
            _ = try node.load()
            let store = try await node.openStore(logger: makeLogger(level: .warning))
            let disabled = try await store.disableUser(username: username)
            await store.close()
            guard disabled else { throw ValidationError("no enabled account \(username)") }
            print("user \(username) disabled")
        }
    }

    struct Password: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-password",
            abstract: "Set a new password (and end the account's sessions); also lifts a lock."
        )

        @OptionGroup var node: NodeOptions

        @Argument(help: "The user name.")
        var username: String

        @Flag(help: "Read the password from the first line of standard input.")
        var passwordStdin = false

        func run() async throws {
            let (password, generated) = try UserCommand.password(fromStandardInput: passwordStdin)
            _ = try node.load()
            let store = try await node.openStore(logger: makeLogger(level: .warning))
            guard let user = try await store.user(named: username) else {
                await store.close()
                throw ValidationError("no account \(username)")
            }
            try await store.setPassword(userID: user.id, passwordHash: PasswordHasher.hash(password))
            try await store.recordSignIn(userID: user.id)
            await store.close()
            print("password of \(username) set")
            if generated { print("password, shown once:\n\(password)") }
        }
    }
}
