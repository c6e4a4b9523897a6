import ReactorCore

/// The version of this drbd-reactor. It follows the 1.x series it is compatible with.
public let reactorVersion = "1.11.0-swift.1"
