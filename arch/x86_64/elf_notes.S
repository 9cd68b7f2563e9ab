/*
 * Xen ELF notes: how the domain builder loads and enters torpor.
 * Note types and meanings: /usr/include/xen/elfnote.h.
 */
#include <xen/elfnote.h>
#include "layout.h"

#define XEN_NOTE(type, desctype, descdata)           \
    .pushsection .note.Xen, "a", @note;              \
    .align 4;                                        \
    .long 2f - 1f;     /* namesz */                  \
    .long 4f - 3f;  /* descsz */                  \
    .long type;                                      \
1:  .asciz "Xen";                                    \
2:  .align 4;                                        \
3:  desctype descdata;                               \
4:  .align 4;                                      \
    .popsection

XEN_NOTE(XEN_ELFNOTE_GUEST_OS,      .asciz, "torpor")
XEN_NOTE(XEN_ELFNOTE_GUEST_VERSION, .asciz, TORPOR_VERSION_STRING)
XEN_NOTE(XEN_ELFNOTE_XEN_VERSION,   .asciz, "xen-3.0")
XEN_NOTE(XEN_ELFNOTE_LOADER,        .asciz, "generic")
/* Pseudo-physical frame 0 is mapped at VIRT_BASE; p_paddr == p_vaddr in the image. */
XEN_NOTE(XEN_ELFNOTE_VIRT_BASE,     .quad, TORPOR_VIRT_BASE)
XEN_NOTE(XEN_ELFNOTE_PADDR_OFFSET,  .quad, TORPOR_VIRT_BASE)
XEN_NOTE(XEN_ELFNOTE_ENTRY,         .quad, _start)
XEN_NOTE(XEN_ELFNOTE_HYPERCALL_PAGE, .quad, hypercall_page)
/* We handle SCHEDOP_shutdown(SHUTDOWN_suspend) returning non-zero (cancelled). */
XEN_NOTE(XEN_ELFNOTE_SUSPEND_CANCEL, .long, 1)
