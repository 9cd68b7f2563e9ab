# The torpor kernel image: freestanding C++20 for a 64-bit Xen PV guest, linked
# at the top 2 GiB (-mcmodel=kernel) against newlib and libgcc.

if(NOT EXISTS /usr/include/xen/xen.h)
  message(FATAL_ERROR "Xen public headers missing: apt-get install libxen-dev")
endif()

set(TORPOR_NEWLIB_DIR "" CACHE PATH "newlib install dir (built by tools/newlib/build-newlib.sh)")
if(NOT TORPOR_NEWLIB_DIR)
  message(STATUS "Building or locating newlib (tools/newlib/build-newlib.sh)...")
  execute_process(COMMAND bash ${CMAKE_SOURCE_DIR}/tools/newlib/build-newlib.sh
                  OUTPUT_VARIABLE newlib_out RESULT_VARIABLE newlib_rc)
  if(NOT newlib_rc EQUAL 0)
    message(FATAL_ERROR "newlib build failed (see above)")
  endif()
  string(STRIP "${newlib_out}" newlib_out)
  string(REGEX REPLACE ".*\n" "" newlib_dir "${newlib_out}")
  set(TORPOR_NEWLIB_DIR "${newlib_dir}" CACHE PATH "" FORCE)
endif()
if(NOT EXISTS ${TORPOR_NEWLIB_DIR}/lib/libc.a)
  message(FATAL_ERROR "no newlib at '${TORPOR_NEWLIB_DIR}'")
endif()
message(STATUS "newlib: ${TORPOR_NEWLIB_DIR}")

# lwIP 2.1.3 (tools/lwip/build-lwip.sh: Debian's source package, built against
# the port headers in kernel/net/lwip_port, cached like newlib). The kernel
# links it as an archive: only what something references is pulled in, and
# nothing in the kernel calls lwIP yet, so torpor.elf does not grow until a
# driver or the app uses it. torpor_net_link_check links every entry point
# the network layer will use, to prove that lwIP and its port link.
option(TORPOR_LWIP "Build lwIP (tools/lwip/build-lwip.sh) and link it into the kernel" ON)
set(TORPOR_LWIP_DIR "" CACHE PATH "lwIP install dir (built by tools/lwip/build-lwip.sh)")
if(TORPOR_LWIP AND NOT TORPOR_LWIP_DIR)
  message(STATUS "Building or locating lwIP (tools/lwip/build-lwip.sh)...")
  execute_process(COMMAND bash ${CMAKE_SOURCE_DIR}/tools/lwip/build-lwip.sh ${TORPOR_NEWLIB_DIR}
                  OUTPUT_VARIABLE lwip_out RESULT_VARIABLE lwip_rc)
  if(NOT lwip_rc EQUAL 0)
    message(FATAL_ERROR "lwIP build failed (see above)")
  endif()
  string(STRIP "${lwip_out}" lwip_out)
  string(REGEX REPLACE ".*\n" "" lwip_dir "${lwip_out}")
  set(TORPOR_LWIP_DIR "${lwip_dir}" CACHE PATH "" FORCE)
endif()
if(TORPOR_LWIP)
  if(NOT EXISTS ${TORPOR_LWIP_DIR}/lib/liblwip.a)
    message(FATAL_ERROR "no lwIP at '${TORPOR_LWIP_DIR}'")
  endif()
  message(STATUS "lwIP: ${TORPOR_LWIP_DIR}")
endif()

# Only <xen/...> from /usr/include, never the host's C library headers.
set(xen_include ${CMAKE_BINARY_DIR}/xen-include)
file(MAKE_DIRECTORY ${xen_include})
file(CREATE_LINK /usr/include/xen ${xen_include}/xen SYMBOLIC)

execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=include
                OUTPUT_VARIABLE gcc_include OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-libgcc-file-name
                OUTPUT_VARIABLE libgcc OUTPUT_STRIP_TRAILING_WHITESPACE)
string(REGEX MATCH "^[0-9]+" gcc_major ${CMAKE_CXX_COMPILER_VERSION})
# libstdc++'s headers only (<new>, <utility>, <type_traits>, <atomic>), made to sit
# on newlib by the cxx-compat shims; nothing from libstdc++ itself is linked.
set(cxx_include /usr/include/c++/${gcc_major} /usr/include/x86_64-linux-gnu/c++/${gcc_major})

set(TORPOR_APP demo CACHE STRING "The application linked into the kernel (apps/<name>)")
file(GLOB app_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/apps/${TORPOR_APP}/*.cpp)
if(NOT app_sources)
  message(FATAL_ERROR "no sources in apps/${TORPOR_APP}")
endif()

set(kernel_sources
  base/grant_refs.cpp
  base/log.cpp
  base/panic.cpp
  arch/x86_64/boot.S
  arch/x86_64/context_switch.S
  arch/x86_64/elf_notes.S
  arch/x86_64/jmpbuf.S
  arch/x86_64/secondary_entry.S
  arch/x86_64/stack_check.S
  arch/x86_64/trap_entry.S
  arch/x86_64/direct_map.cpp
  arch/x86_64/frame_walk.cpp
  arch/x86_64/page_fault.cpp
  arch/x86_64/panic_platform.cpp
  arch/x86_64/stack_check.cpp
  arch/x86_64/start.cpp
  arch/x86_64/thread_stack.cpp
  arch/x86_64/traps.cpp
  arch/x86_64/vcpu_context.cpp
  xen/domain_shutdown.cpp
  xen/early_console.cpp
  xen/grants.cpp
  xen/m2p_coverage.cpp
  xen/p2m.cpp
  xen/p2m_frame_list.cpp
  xen/p2m_publish.cpp
  xen/start_info_frames.cpp
  xen/shared_info.cpp
  kernel/boot_options.cpp
  kernel/cpu_local.cpp
  kernel/cxx_runtime.cpp
  kernel/device_hooks.cpp
  kernel/libc_glue.cpp
  kernel/libc_locks.cpp
  kernel/libc_reent.cpp
  kernel/memory.cpp
  kernel/panic_support.cpp
  kernel/shutdown_request.cpp
  kernel/events/event_channels.cpp
  kernel/events/port_registry.cpp
  kernel/grant/grant_self_test.cpp
  kernel/mm/balloon.cpp
  kernel/mm/guarded_stack.cpp
  kernel/mm/memory_target.cpp
  kernel/mm/heap.cpp
  kernel/mm/page_allocator.cpp
  kernel/mm/backed_regions.cpp
  kernel/mm/xen_regions.cpp
  kernel/sched/scheduler.cpp
  kernel/smp/cpu_suspend.cpp
  kernel/smp/cross_call.cpp
  kernel/smp/pause.cpp
  kernel/smp/pause_barrier.cpp
  kernel/smp/smp.cpp
  kernel/sched/wait_queue.cpp
  kernel/sched/xen_hooks.cpp
  kernel/sync/completion.cpp
  kernel/sync/mailbox.cpp
  kernel/sync/semaphore.cpp
  kernel/time/clock.cpp
  kernel/time/timer_queue.cpp
  kernel/time/timers.cpp
  drivers/blkfront/blk_ring.cpp
  drivers/blkfront/disk.cpp
  drivers/blkfront/disk_requests.cpp
  drivers/blkfront/lent_pages.cpp
  drivers/blkfront/disk_geometry.cpp
  drivers/blkfront/indirect_segments.cpp
  drivers/console/pv_console.cpp
  drivers/netfront/addresses.cpp
  drivers/netfront/netfront.cpp
  drivers/netfront/netif_glue.cpp
  drivers/netfront/rx_ring.cpp
  drivers/netfront/tx_ring.cpp
  drivers/xenbus/frontend.cpp
  drivers/xenbus/xenbus_state.cpp
  drivers/xenstore/client.cpp
  drivers/xenstore/pending_requests.cpp
  drivers/xenstore/reader.cpp
  drivers/xenstore/request_gate.cpp
  drivers/xenstore/watch_queue.cpp
  drivers/xenstore/wire.cpp
  suspend/app_hooks.cpp
  suspend/fault_injection.cpp
  suspend/fault_plan.cpp
  suspend/suspend.cpp
  suspend/suspend_sequence.cpp
  suspend/xen_steps.cpp
  main/blkfront_devices.cpp
  main/boot.cpp
  main/kernel_main.cpp
  main/memory_target_watch.cpp
  main/idle_memory_reclaimer.cpp
  main/network.cpp
  main/vif_device.cpp
  main/panic_test.cpp
  main/shutdown_control.cpp
  main/suspend_event_channel.cpp
  main/xenbus_store.cpp
  ${app_sources}
)

if(TORPOR_LWIP)
  list(APPEND kernel_sources kernel/net/stack.cpp)
endif()

# Compiled once, linked into torpor.elf and the link checks below.
add_library(torpor_kernel_objects OBJECT ${kernel_sources})
if(TORPOR_LWIP)
  # lwIP's headers (and its lwipopts.h) for the network layer, drivers and apps.
  target_compile_options(torpor_kernel_objects PRIVATE
    "SHELL:-isystem ${TORPOR_LWIP_DIR}/include" -I${CMAKE_SOURCE_DIR}/kernel/net/lwip_port)
endif()
set(linker_script ${CMAKE_SOURCE_DIR}/arch/x86_64/linker.ld)
# Raw -isystem flags: CMake drops "implicit" directories such as gcc's own include
# dir from target_include_directories, and the order here matters.
set(kernel_system_includes)
foreach(dir ${xen_include} ${TORPOR_NEWLIB_DIR}/cxx-compat ${cxx_include}
            ${TORPOR_NEWLIB_DIR}/include ${gcc_include})
  list(APPEND kernel_system_includes "SHELL:-isystem ${dir}")
endforeach()
option(TORPOR_ASSERTS "Check ASSERT() in the kernel (VERIFY() is always checked)" ON)
# -fno-omit-frame-pointer: panics walk frame pointers for their backtrace.
# -pg -mfentry: every C++ function starts with `call __fentry__`, the stack
# overflow check (arch/x86_64/stack_check.h). The macro prefix map makes
# __FILE__ in VERIFY/ASSERT messages a path relative to the source tree.
set(kernel_codegen -ffreestanding -nostdinc -fno-pie -fno-pic -mcmodel=kernel -mno-red-zone
    -fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables
    -fmacro-prefix-map=${CMAKE_SOURCE_DIR}/=)
# torpor_kernel_compile(TARGET): the kernel's include dirs, definitions and flags.
function(torpor_kernel_compile target)
  target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/generated)
  # __DYNAMIC_REENT__: as newlib was built (tools/newlib/build-newlib.sh): _REENT
  # is __getreent(), the running thread's newlib state.
  target_compile_definitions(${target} PRIVATE TORPOR_KERNEL=1 __DYNAMIC_REENT__
    TORPOR_VERSION_STRING="${PROJECT_VERSION}" $<$<NOT:$<BOOL:${TORPOR_ASSERTS}>>:TORPOR_NO_ASSERTS>)
  target_compile_options(${target} PRIVATE ${kernel_codegen} ${kernel_system_includes}
    $<$<COMPILE_LANGUAGE:ASM>:-D__ASSEMBLY__>
    $<$<COMPILE_LANGUAGE:CXX>:-std=gnu++20 -fno-exceptions -fno-rtti -fno-threadsafe-statics
      -fno-use-cxa-atexit -pg -mfentry -Wall -Wextra -Wno-missing-field-initializers>)
endfunction()
torpor_kernel_compile(torpor_kernel_objects)

# torpor_kernel_link(TARGET LIBS...): linked at the Xen VIRT_BASE by the linker
# script, against LIBS, newlib and libgcc.
function(torpor_kernel_link target)
  set_target_properties(${target} PROPERTIES LINK_DEPENDS ${linker_script} SUFFIX ".elf")
  target_link_options(${target} PRIVATE -nostdlib -static -no-pie -Wl,-T,${linker_script}
    -Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack)
  target_link_libraries(${target} PRIVATE -Wl,--start-group ${ARGN}
    ${TORPOR_NEWLIB_DIR}/lib/libc.a ${TORPOR_NEWLIB_DIR}/lib/libm.a ${libgcc} -Wl,--end-group)
endfunction()

set(kernel_libraries)
if(TORPOR_LWIP)
  # The port: lwIP's sys_arch on kernel services (kernel/net/lwip_port). An
  # archive too, so it is only linked once lwIP is.
  add_library(torpor_lwip_port STATIC
    kernel/net/lwip_port/lwip_platform.cpp
    kernel/net/lwip_port/sys_arch.cpp)
  torpor_kernel_compile(torpor_lwip_port)
  target_compile_options(torpor_lwip_port PRIVATE
    "SHELL:-isystem ${TORPOR_LWIP_DIR}/include" -I${CMAKE_SOURCE_DIR}/kernel/net/lwip_port)
  set(kernel_libraries $<TARGET_FILE:torpor_lwip_port> ${TORPOR_LWIP_DIR}/lib/liblwip.a)
endif()

add_executable(torpor $<TARGET_OBJECTS:torpor_kernel_objects>)
torpor_kernel_link(torpor ${kernel_libraries})
if(TORPOR_LWIP)
  add_dependencies(torpor torpor_lwip_port)
  # Every lwIP entry point the network layer will call, forced in: the link
  # fails on anything lwIP or its port needs that the kernel does not provide.
  add_executable(torpor_net_link_check $<TARGET_OBJECTS:torpor_kernel_objects>)
  torpor_kernel_link(torpor_net_link_check ${kernel_libraries})
  add_dependencies(torpor_net_link_check torpor_lwip_port)
  foreach(symbol tcpip_init tcpip_input netif_add netif_set_up netif_set_link_up
                 netifapi_netif_add ethernet_input etharp_output etharp_request dhcp_start
                 pbuf_alloc pbuf_free tcp_new tcp_output
                 lwip_socket lwip_bind lwip_listen lwip_accept lwip_connect lwip_recv
                 lwip_send lwip_close lwip_select lwip_poll lwip_setsockopt)
    target_link_options(torpor_net_link_check PRIVATE -Wl,--undefined=${symbol})
  endforeach()
endif()
