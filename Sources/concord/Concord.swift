import ArgumentParser

@main
struct Concord: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "concord",
        abstract: "A Concord node: share, check and understand scam identifiers with peers.",
        subcommands: [
            InitCommand.self, IDCommand.self, PeerCommand.self, CommunityCommand.self, ServeCommand.self,
            CampaignsCommand.self, LandscapeCommand.self, RisksCommand.self, PlanCommand.self, TokenCommand.self,
            UserCommand.self,
            CheckCommand.self,
            ImportCommand.self,
            ExportCommand.self, FeedCommand.self, NormalizeCommand.self, DemoCommand.self, SimulateCommand.self,
            BenchCommand.self,
        ]
    )
}
