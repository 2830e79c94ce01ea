/**
 * FFM bindings to libc (thread affinity, madvise/mlock) and optional C kernels. Everything in Funnel works without
 * this module's native paths; see the module README for what is built and when.
 */
package io.funnel.ffi;
