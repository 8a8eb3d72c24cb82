"""A cache prefetch hint for numba kernels (LLVM's ``llvm.prefetch``).

``prefetch(a, i)`` asks the processor to bring the cache line of ``a[i]`` in; it reads and
writes nothing, so it cannot change a result (an index outside ``a`` is not faulted on, but
the kernels only pass valid ones). The kMC event loop is bound by dependent cache misses
(the sum-tree descent, then the arrays of the chosen site); a hint issued as soon as an
address is known lets the misses overlap (docs/performance.md).
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["prefetch"]


@intrinsic
def prefetch(typingctx, arr, idx):
    """Prefetch the cache line holding ``arr[idx]`` (read, high locality); returns nothing."""
    if not isinstance(arr, types.Array) or not isinstance(idx, types.Integer):
        return None
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]],
                                       wraparound=False, boundscheck=False)
        i32, i8p = ir.IntType(32), ir.IntType(8).as_pointer()
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen
