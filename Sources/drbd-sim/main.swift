// drbd-sim: the HA lab's simulated DRBD cluster (see DRBDSimCommandLine for the modes).
import Glibc

exit(DRBDSimCommandLine.main(CommandLine.arguments))
