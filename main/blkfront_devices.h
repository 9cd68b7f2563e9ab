// Block devices: every `device/vbd/<vdev>` the toolstack gave this domain
// becomes a blkfront::Disk (drivers/blkfront/disk.h) driven through its xenbus
// handshake (drivers/xenbus/frontend.h) on the kernel's xenstore. The two
// drivers meet only here: drivers never include each other.
#pragma once

namespace torpor {

// Enumerates device/vbd and starts each disk's handshake; returns how many
// disks were started (the handshakes complete asynchronously: the application
// waits with blkfront::Disk::wait_connected). Logs one line per failure.
// Then watches device/vbd: a detached disk closes when its backend closes or
// its directory goes (drivers/blkfront/disk.h, "Detach"), the same disk
// re-attached reconnects, and a new one attached at run time is started.
unsigned start_block_devices();

}  // namespace torpor
