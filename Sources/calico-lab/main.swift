import CalicoLab

await LabCommand.main(CommandLine.arguments)
