import Logging
import SnackBaseMail

/// How the server sends mail (identity.md "Email"), set once at start.
///
/// `queue` nil means no mail at all: no SMTP URL and no `--dev`. Then nothing is sent (each mail
/// that would have gone is logged, without its link), invitations are refused with 503, and
/// `SNACKBASE_REQUIRE_VERIFIED_EMAIL` cannot be turned on (the start stops).
public struct MailSettings: Sendable {
    public var queue: MailQueue?
    public var from: MailAddress
    /// The base of the links, without a trailing slash (`SNACKBASE_PUBLIC_URL`).
    public var publicURL: String
    package var templates: MailTemplates
    /// `SNACKBASE_REQUIRE_VERIFIED_EMAIL`: an unverified user's login is refused (403).
    public var requireVerifiedEmail: Bool
    /// Log each mail's subject (the `--dev` mode that writes `.eml` files).
    public var logSubjects: Bool
    /// Work done after an answer was sent (a password-reset mail), so tests can wait for it.
    public let background = BackgroundWork()

    public init(queue: MailQueue?, from: MailAddress, publicURL: String, templateFolder: String? = nil,
                requireVerifiedEmail: Bool = false, logSubjects: Bool = false) throws {
        self.queue = queue
        self.from = from
        var url = publicURL
        while url.hasSuffix("/") { url.removeLast() }
        self.publicURL = url
        self.templates = try MailTemplates(overridesIn: templateFolder)
        self.requireVerifiedEmail = requireVerifiedEmail
        self.logSubjects = logSubjects
    }

    /// No mail: the default of ``AppServices``.
    public static let disabled: MailSettings = {
        // The literals are valid: neither init can fail.
        try! MailSettings(queue: nil, from: MailAddress("snackbase@localhost"), publicURL: "http://localhost")
    }()
}

/// Tasks started by a request that outlive its answer; ``waitForAll()`` returns when none runs.
public actor BackgroundWork {
    private var running = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init() {}

    /// The task is counted before this returns, so a waiter that comes after sees it.
    func run(_ body: @escaping @Sendable () async -> Void) {
        running += 1
        Task {
            await body()
            self.end()
        }
    }

    private func end() {
        running -= 1
        if running == 0 {
            for waiter in waiters { waiter.resume() }
            waiters = []
        }
    }

    public func waitForAll() async {
        guard running > 0 else { return }
        await withCheckedContinuation { waiters.append($0) }
    }
}
