#include "main/blkfront_devices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "drivers/blkfront/disk.h"
#include "drivers/xenbus/frontend.h"
#include "drivers/xenstore/client.h"
#include "kernel/boot_options.h"
#include "kernel/sync/mutex.h"
#include "main/xenbus_store.h"
#include <xen/io/protocols.h>

namespace torpor {

namespace {

// The Frontend wants its calls serialised: this Store forwards to the kernel's
// and takes the vbd's bus lock around every watch callback (the other calls
// into the Frontend take it themselves).
class LockedStore final : public xenbus::Store {
public:
    explicit LockedStore(Mutex& lock) : lock_(lock) {}
    ErrorOr<String> read(const char* path, Transaction tx) override {
        return xenstore_backed_store().read(path, tx);
    }
    Error write(const char* path, const char* value, Transaction tx) override {
        return xenstore_backed_store().write(path, value, tx);
    }
    ErrorOr<Transaction> transaction_start() override {
        return xenstore_backed_store().transaction_start();
    }
    Error transaction_end(Transaction tx, bool commit) override {
        return xenstore_backed_store().transaction_end(tx, commit);
    }
    ErrorOr<uint32_t> watch(const char* path, WatchCallback callback, void* context) override {
        // One watch at a time per vbd (the backend's state).
        callback_ = callback;
        context_ = context;
        return xenstore_backed_store().watch(path, &LockedStore::locked_callback, this);
    }
    Error unwatch(uint32_t id) override { return xenstore_backed_store().unwatch(id); }

private:
    static void locked_callback(const char* path, void* context) {
        auto* self = static_cast<LockedStore*>(context);
        self->lock_.lock();
        self->callback_(path, self->context_);
        self->lock_.unlock();
    }
    Mutex& lock_;
    WatchCallback callback_ = nullptr;
    void* context_ = nullptr;
};

// One vbd: the disk, its Frontend, and the glue between them.
class Vbd final : public xenbus::Device, public blkfront::Bus {
public:
    Vbd(const char* name, blkif_vdev_t vdev, const char* device_path)
        : disk_(name, vdev), store_(lock_),
          frontend_(store_, *this, device_path, xenbus::State::initialised) {}

    Error start() {
        TRY(disk_.init(*this));
        lock_.lock();
        Error e = frontend_.start();
        lock_.unlock();
        return e;
    }

    // xenbus::Device
    // The backend's max-ring-page-order is read at every handshake (after a
    // resume it is a new backend); blkring=N on the command line lowers our
    // own limit (0: always one page).
    Error setup_rings(domid_t backend_id) override {
        char path[xenbus::Frontend::kMaxPathLength + 32];
        snprintf(path, sizeof(path), "%s/max-ring-page-order", frontend_.backend_path());
        auto offer = xenstore_backed_store().read(path);
        const char* text = offer.is_error() ? nullptr : offer.value().c_str();
        if (offer.is_error() && offer.error() != Error::not_found) return offer.error();
        auto order = blkfront::choose_ring_order(text, ring_order_limit());
        if (order.is_error()) {
            klog("blkfront: %s: the backend's max-ring-page-order \"%s\" is not a number below 32",
                 disk_.name(), text);
            return order.error();
        }
        return disk_.setup_rings(backend_id, order.value());
    }
    // blkif.h: one page is "ring-ref" alone; 2^order pages are
    // "ring-page-order" and "ring-ref0".. (no ring-page-order for one page:
    // blkback reads ring-ref0 instead of ring-ref whenever that key exists).
    Error publish(xenbus::KeyWriter& keys) override {
        if (disk_.ring_order() == 0) {
            TRY(keys.write_uint("ring-ref", disk_.ring_ref(0)));
        } else {
            TRY(keys.write_uint("ring-page-order", disk_.ring_order()));
            for (uint32_t i = 0; i < disk_.ring_pages(); ++i) {
                char key[16];
                snprintf(key, sizeof(key), "ring-ref%u", unsigned(i));
                TRY(keys.write_uint(key, disk_.ring_ref(i)));
            }
        }
        TRY(keys.write_uint("event-channel", disk_.event_port()));
        // blkif.h: we reuse the same grants for every request (a pool per
        // connect), so the backend may keep them mapped.
        TRY(keys.write("feature-persistent", persistent_limit() > 0 ? "1" : "0"));
        return keys.write("protocol", XEN_IO_PROTO_ABI_X86_64);
    }
    Error connect(xenbus::KeyReader& keys) override {
        auto sectors = keys.read_backend("sectors");
        auto sector_size = keys.read_backend("sector-size");
        auto info = keys.read_backend("info");
        auto flush = keys.read_backend("feature-flush-cache");
        auto barrier = keys.read_backend("feature-barrier");
        // Re-read at every connect: after a migration it may be another
        // backend offering more, less or nothing (then plain requests).
        auto indirect = keys.read_backend("feature-max-indirect-segments");
        auto persistent = keys.read_backend("feature-persistent");
        auto text = [](ErrorOr<String>& v) { return v.is_error() ? nullptr : v.value().c_str(); };
        auto g = blkfront::parse_geometry(text(sectors), text(sector_size), text(info),
                                          text(flush), text(barrier));
        if (g.is_error()) {
            klog("blkfront: %s: the backend's sectors/sector-size/info/features are not valid "
                 "(sectors=%s sector-size=%s info=%s)", disk_.name(),
                 text(sectors) ? text(sectors) : "(missing)",
                 text(sector_size) ? text(sector_size) : "(missing)",
                 text(info) ? text(info) : "(missing)");
            return g.error();
        }
        auto segments = blkfront::choose_indirect_segments(text(indirect), indirect_limit());
        if (segments.is_error()) {
            klog("blkfront: %s: the backend's feature-max-indirect-segments \"%s\" is not a "
                 "number", disk_.name(), text(indirect));
            return segments.error();
        }
        return disk_.connect(g.value(), segments.value(),
                             blkfront::choose_persistent_pages(text(persistent), persistent_limit()));
    }
    void closing() override { disk_.closing(); }
    void disconnect() override { disk_.disconnect(); }
    void forget_rings() override { disk_.forget_rings(); }

    // Something under device/vbd changed (a detach or an attach): re-read the
    // backend's state; the Frontend ignores what it has already seen.
    void recheck() {
        lock_.lock();
        frontend_.backend_changed(nullptr);
        lock_.unlock();
    }

    // blkfront::Bus
    void suspending() override {
        lock_.lock();
        frontend_.suspending();
        lock_.unlock();
    }
    void suspend_cancelled() override {
        lock_.lock();
        frontend_.suspend_cancelled();
        lock_.unlock();
    }
    Error resumed_in_new_domain() override {
        lock_.lock();
        Error e = frontend_.resumed_in_new_domain();
        lock_.unlock();
        return e;
    }

private:
    static uint32_t ring_order_limit() {
        unsigned n;
        if (!boot_options::find(boot_options::command_line(), "blkring").as_decimal(&n) ||
            n > blkfront::kMaxRingOrder)
            return blkfront::kMaxRingOrder;
        return n;
    }

    // blkindirect=N caps the segments of an indirect request (0: off, plain
    // 11-segment requests whatever the backend offers); default: ours.
    static uint32_t indirect_limit() {
        unsigned n;
        if (!boot_options::find(boot_options::command_line(), "blkindirect").as_decimal(&n))
            return blkfront::kMaxIndirectSegments;
        return n;
    }

    // blkpersistent=N: the persistent pool's pages per disk (0: off, transient
    // grants whatever the backend offers; at least two requests' worth).
    static uint32_t persistent_limit() {
        unsigned n;
        if (!boot_options::find(boot_options::command_line(), "blkpersistent").as_decimal(&n))
            return blkfront::kDefaultPersistentPages;
        if (n == 0) return 0;
        if (n < kMinPersistentPages) return kMinPersistentPages;
        return n < blkfront::kMaxPersistentPages ? n : blkfront::kMaxPersistentPages;
    }
    static constexpr uint32_t kMinPersistentPages = 2 * (blkfront::kMaxIoPages + 1);

    blkfront::Disk disk_;
    Mutex lock_;
    LockedStore store_;
    xenbus::Frontend frontend_;
};

// blkif's virtual-device numbers (docs/misc/vbd-interface): major 202 is xvd,
// 16 minors a disk; the extended form (bit 28) numbers disks from bit 8.
void name_of_vdev(unsigned long vdev, char* out, size_t size) {
    unsigned long index;
    if (vdev & (1ul << 28))
        index = (vdev >> 8) & 0xfffff;
    else if ((vdev >> 8) == 202)
        index = (vdev >> 4) & 0xf;
    else {
        snprintf(out, size, "vbd%lu", vdev);
        return;
    }
    if (index < 26)
        snprintf(out, size, "xvd%c", char('a' + index));
    else
        snprintf(out, size, "xvd%lu", index);
}

// The vbds started so far, by their device/vbd entry (only the watch thread
// adds to it, after boot).
struct Known {
    unsigned long vdev;
    Vbd* vbd;
};
Known known[blkfront::Disk::kMaxDisks];
unsigned known_count = 0;
bool full_reported = false;

Vbd* known_vbd(unsigned long vdev) {
    for (unsigned i = 0; i < known_count; ++i)
        if (known[i].vdev == vdev) return known[i].vbd;
    return nullptr;
}

// Starts a vbd for `entry` (a device/vbd child) unless it is known; true if
// it started one. `at_boot`: quiet about it (the connect line says enough).
bool start_vbd(const char* entry, bool at_boot) {
    char* end = nullptr;
    unsigned long vdev = strtoul(entry, &end, 10);
    if (!*entry || *end || vdev > 0xffffffffu) {
        if (at_boot) klog("blkfront: device/vbd/%s: not a virtual-device number; ignored", entry);
        return false;
    }
    if (known_vbd(vdev)) return false;
    if (known_count >= blkfront::Disk::kMaxDisks) {
        if (!full_reported)
            klog("blkfront: device/vbd/%s: already %u disks; ignored", entry, known_count);
        full_reported = true;
        return false;
    }
    char* name = new char[16];
    name_of_vdev(vdev, name, 16);
    char path[48];
    snprintf(path, sizeof(path), "device/vbd/%s", entry);
    if (!at_boot) klog("blkfront: %s appeared (%s): starting it", name, path);
    // blkif's handle is 16 bits; the extended numbers do not fit it and
    // blkback does not look at it.
    auto* vbd = new Vbd(name, blkif_vdev_t(vdev), path);
    known[known_count++] = {vdev, vbd};  // kept even if it fails: its watch may still hold it
    if (Error e = vbd->start(); e != Error::none) {
        klog("blkfront: %s (%s): cannot start: %s", name, path, error_name(e));
        return false;
    }
    return true;
}

// device/vbd changed: a disk attached at run time starts; every known one
// re-reads its backend's state (a detached disk's directories go away, a
// re-attached one's come back with the backend in InitWait).
void on_vbd_directory(const char*, void*) {
    unsigned count = 0;
    auto list = xenstore::directory("device/vbd", &count);
    if (!list.is_error()) {
        const char* entry = list.value().c_str();
        for (unsigned i = 0; i < count; ++i, entry += strlen(entry) + 1) (void)start_vbd(entry, false);
    }
    for (unsigned i = 0; i < known_count; ++i) known[i].vbd->recheck();
}

}  // namespace

unsigned start_block_devices() {
    unsigned count = 0;
    unsigned started = 0;
    auto list = xenstore::directory("device/vbd", &count);
    if (!list.is_error()) {
        const char* entry = list.value().c_str();
        for (unsigned i = 0; i < count; ++i, entry += strlen(entry) + 1)
            started += start_vbd(entry, true) ? 1 : 0;
    }
    // Detach and attach at run time (xl block-detach / block-attach).
    if (auto w = xenstore::watch("device/vbd", &on_vbd_directory, nullptr); w.is_error())
        klog("blkfront: cannot watch device/vbd (%s); disks attached later are not seen",
             error_name(w.error()));
    return started;
}

}  // namespace torpor
