import ArgumentParser
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage user accounts.",
        subcommands: [
            Create.self, List.self, Show.self, Update.self, SetPassword.self, Disable.self, Enable.self, Link.self, Factors.self,
        ])

    /// What `users` prints: never the password hash.
    struct View: Encodable {
        let id: String
        let email: String
        let name: String?
        let given_name: String?
        let family_name: String?
        let preferred_username: String?
        let email_verified: Bool
        let has_password: Bool
        let disabled: Bool
        let created_at: Int64

        init(_ u: UserRecord) {
            id = u.id.rawValue
            email = u.email
            name = u.name
            given_name = u.givenName
            family_name = u.familyName
            preferred_username = u.preferredUsername
            email_verified = u.emailVerified
            has_password = u.passwordHash != nil
            disabled = u.isDisabled
            created_at = u.createdAt.rawValue
        }

        var line: String {
            "\(id)  \(email)  \(name ?? "-")  \(disabled ? "disabled" : "active")  \(has_password ? "password" : "no-password")"
        }
    }

    static func find(_ email: String, in store: some Store) async throws -> UserRecord {
        guard let user = try await store.user(email: email) else { throw CLIError("no user with email \(email)") }
        return user
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Email address (unique).") var email: String
        @Option(help: "Display name.") var name: String?
        @OptionGroup var profile: ProfileOptions
        @Flag(help: "Read the password from standard input.") var passwordStdin = false
        @Flag(help: "Mark the email address as verified.") var emailVerified = false

        func run() async throws {
            guard let email = AccountRules.normalizedEmail(email) else { throw CLIError("'\(self.email)' is not a valid email address") }
            try profile.validate(name: name)
            var hash: String?
            if passwordStdin {
                let password = try readSecretFromStandardInput(what: "password")
                if let problem = AccountRules.passwordProblem(password) { throw CLIError(problem) }
                hash = try await Argon2idHasher().hash(password)
            }
            let store = try await database.openExisting()
            let t = now()
            let user = UserRecord(
                id: UserID(rawValue: IdentifierGenerator.make(prefix: UserID.prefix)), email: email, name: name,
                passwordHash: hash, emailVerified: emailVerified, createdAt: t, updatedAt: t, givenName: profile.givenName,
                familyName: profile.familyName, preferredUsername: profile.preferredUsername)
            try await store.createUser(user)
            try output.print(json: View(user)) { "created user \(user.id) <\(email)>" }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let users = try await database.openExisting().users().map(View.init)
            try output.print(json: users) { users.isEmpty ? "no users" : users.map(\.line).joined(separator: "\n") }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one user.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Email address.") var email: String

        func run() async throws {
            let user = View(try await find(email, in: database.openExisting()))
            try output.print(json: user) { user.line }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a user's profile claims (an empty value clears one).")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Email address.") var email: String
        @Option(help: "Display name.") var name: String?
        @OptionGroup var profile: ProfileOptions

        func run() async throws {
            guard name != nil || profile.givenName != nil || profile.familyName != nil || profile.preferredUsername != nil else {
                throw CLIError("nothing to change: pass --name, --given-name, --family-name or --preferred-username")
            }
            try profile.validate(name: name)
            let store = try await database.openExisting()
            var user = try await find(email, in: store)
            func apply(_ value: String?, to field: inout String?) { if let value { field = value.isEmpty ? nil : value } }
            apply(name, to: &user.name)
            apply(profile.givenName, to: &user.givenName)
            apply(profile.familyName, to: &user.familyName)
            apply(profile.preferredUsername, to: &user.preferredUsername)
            try await store.updateProfile(user, at: now())
            let updated = View(try await find(email, in: store))
            try output.print(json: updated) { "updated \(updated.email)" }
        }
    }

    /// The OIDC Core 5.1 profile claims an operator can set.
    struct ProfileOptions: ParsableArguments {
        @Option(help: "Given name (OIDC given_name).") var givenName: String?
        @Option(help: "Family name (OIDC family_name).") var familyName: String?
        @Option(help: "Preferred username (OIDC preferred_username).") var preferredUsername: String?

        func validate(name: String?) throws {
            for (flag, value) in [("--name", name), ("--given-name", givenName), ("--family-name", familyName),
                                  ("--preferred-username", preferredUsername)] {
                if let value, value.count > 200 || value.contains(where: { $0.isNewline || $0 == "\u{0}" }) {
                    throw CLIError("\(flag) must be at most 200 characters on one line")
                }
            }
        }
    }

    struct SetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's password.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Email address.") var email: String
        @Flag(help: "Read the password from standard input.") var passwordStdin = false

        func run() async throws {
            guard passwordStdin else { throw CLIError("pass --password-stdin and the password on standard input") }
            let store = try await database.openExisting()
            let user = try await find(email, in: store)
            let password = try readSecretFromStandardInput(what: "password")
            if let problem = AccountRules.passwordProblem(password) { throw CLIError(problem) }
            try await store.setPasswordHash(try await Argon2idHasher().hash(password), for: user.id, at: now())
            print("password updated for \(user.email)")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user and end their sessions.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Email address.") var email: String

        func run() async throws {
            let store = try await database.openExisting()
            let user = try await find(email, in: store)
            try await store.setDisabled(true, user: user.id, at: now())
            print("disabled \(user.email)")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-enable a disabled user.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Email address.") var email: String

        func run() async throws {
            let store = try await database.openExisting()
            let user = try await find(email, in: store)
            try await store.setDisabled(false, user: user.id, at: now())
            print("enabled \(user.email)")
        }
    }

    struct Link: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Link a user to their identity at an upstream provider.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Email address.") var email: String
        @Option(help: "Upstream provider name or id.") var upstream: String
        @Option(help: "The user's subject (sub) at that provider.") var subject: String

        func run() async throws {
            guard !subject.isEmpty, subject.utf8.count <= 255 else {
                // OIDC Core 2: sub is at most 255 ASCII characters.
                throw CLIError("--subject must be 1 to 255 characters")
            }
            let store = try await database.openExisting()
            let user = try await find(email, in: store)
            let provider = try await Upstreams.find(upstream, in: store)
            do {
                try await store.linkIdentity(
                    UserIdentityRecord(userId: user.id, providerId: provider.id, subject: subject, email: nil, createdAt: now()))
            } catch let error as StoreError {
                throw CLIError(error.description)
            }
            print("linked \(user.email) to \(provider.name) subject \(subject)")
        }
    }
}
