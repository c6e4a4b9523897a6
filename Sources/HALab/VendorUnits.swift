/// The units every simulated node has before the daemon writes anything: drbd-utils' units as they
/// ship (the directives that matter; `/usr/lib/drbd/scripts/drbd-service-shim.sh` maps its verbs to
/// `drbdsetup`/`drbdadm`, see `SimNode.runTool`) and the lab's dummy services.
enum VendorUnits {
    static let dir = "/usr/lib/systemd/system/"
    static let shim = "/usr/lib/drbd/scripts/drbd-service-shim.sh"

    static func files(services: [String]) -> [String: String] {
        var files: [String: String] = [
            dir + "drbd-services@.target": """
                [Unit]
                Description=Services for DRBD resource %I
                BindsTo=drbd-promote@%i.service
                """,
            dir + "drbd-promote@.service": """
                [Unit]
                Description=Promotion of DRBD resource %I
                PartOf=drbd-services@%i.target
                Requires=drbd@%i.target
                After=drbd@%i.target
                OnFailureJobMode=replace-irreversibly
                [Service]
                Type=oneshot
                RemainAfterExit=yes
                ExecCondition=\(shim) primary %I
                ExecStop=\(shim) secondary %I
                """,
            dir + "drbd-demote-or-escalate@.service": """
                [Unit]
                Conflicts=drbd-promote@%i.service
                RefuseManualStart=yes
                RefuseManualStop=yes
                FailureAction=reboot
                [Service]
                TimeoutSec=60
                Type=oneshot
                ExecStart=\(shim) secondary-or-escalate %I
                ExecStopPost=-/bin/journalctl --sync
                """,
            dir + "drbd@.target": """
                [Unit]
                Requires=drbd@%i.service
                """,
            dir + "drbd@.service": """
                [Unit]
                PartOf=drbd@%i.target
                [Service]
                Type=oneshot
                RemainAfterExit=yes
                ExecStart=\(shim) adjust %I
                """,
        ]
        for s in services {
            files["/etc/systemd/system/" + s] = """
                [Service]
                Type=simple
                ExecStart=/usr/bin/sleep infinity
                TimeoutStartSec=10
                """
        }
        return files
    }
}
