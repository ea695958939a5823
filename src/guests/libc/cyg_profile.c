/* The -finstrument-functions hooks. Empty on purpose: under l4trace the interpreter recognises
   calls to these two addresses (from .symtab), records FUNC_ENTER / FUNC_EXIT and skips them;
   natively they just return. noipa keeps them distinct (no identical-code folding), out of line
   and un-cloned, so both symbols exist with their own addresses. */
#include "libc.h"

__attribute__((no_instrument_function, noipa, used)) void
__cyg_profile_func_enter(void *this_fn, void *call_site) {
  (void)this_fn;
  (void)call_site;
}

__attribute__((no_instrument_function, noipa, used)) void
__cyg_profile_func_exit(void *this_fn, void *call_site) {
  (void)this_fn;
  (void)call_site;
}
