import ReactorCore

/// An event-type plugin that lives on the loop itself (prometheus, agentx): it reads the current World
/// when asked, owns its sockets and timers, and is started and stopped by the daemon as a whole; a
/// reload replaces it when its config changed.
protocol LoopPlugin: AnyObject {
    /// Sets the plugin up; a failure (e.g. a bind error) throws and the plugin is not running.
    func start() throws
    /// Releases everything the plugin owns; it is not used afterwards.
    func stop()
}
