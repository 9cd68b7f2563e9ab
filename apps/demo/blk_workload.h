// The demo's storage workload (README "Storage workload"), started only when a
// disk xvda is present: a writer appending blk_record.h records from sector 0
// at a steady rate with several writes in flight, a flush every 200 ms after
// which `blk: acked N` names the highest acknowledged record, a burst of writes
// from the pre-suspend hook (so that some are in flight at the suspend and get
// re-issued after a resume), and a reader re-checking random acknowledged
// records.
#pragma once

namespace torpor::demo {

void start_block_workload();

}  // namespace torpor::demo
