"""The k largest products per row of a sparse product, on a right-hand side prepared once.

sparse_dot_topn's checked `sp_matmul_topn` copies both index arrays of its right-hand side on
every call (`astype` copies even when the dtype already fits). The alias search multiplies a
few query rows by the same ~1.3 M-entry alias matrix every time, so those copies cost more
than the kernel itself for a single document's strings. `TopNProducts` converts the
right-hand side once and calls sparse_dot_topn's `unchecked` entry point, which takes the
arrays as they are (the checked function where a release lacks it).
"""
import numpy as np
import scipy.sparse as sp
from sparse_dot_topn import sp_matmul_topn

try:
    from sparse_dot_topn.unchecked import sp_matmul_topn as _unchecked_topn
except ImportError:
    _unchecked_topn = None

# The kernel's index dtype (the checked function's default `idx_dtype`).
_INDEX_DTYPE = np.int32


class TopNProducts:
    """right (sp.csr_matrix): the fixed right-hand side, (n_inner, n_columns), float32."""

    def __init__(self, right: sp.csr_matrix):
        self.right = _kernel_csr(right.tocsr())
        self.shape = self.right.shape

    def __call__(self, left: sp.csr_matrix, top_n: int, threshold: float) -> sp.csr_matrix:
        """RETURNS (sp.csr_matrix): left @ right keeping, per row, the top_n products above
        threshold (unsorted within a row): what sp_matmul_topn(left, right, top_n, threshold)
        returns."""
        if left.shape[1] != self.shape[0]:  # the unchecked kernel would read out of bounds
            raise ValueError(f"left has {left.shape[1]} columns, the right-hand side {self.shape[0]} rows")
        top_n = min(top_n, self.shape[1])
        if _unchecked_topn is None or left.nnz == 0 or self.right.nnz == 0 or top_n <= 0:
            return sp_matmul_topn(left, self.right, top_n=top_n, threshold=threshold, n_threads=1)
        return _unchecked_topn(_kernel_csr(left), self.right, top_n=top_n, sort=False, threshold=float(threshold), density=1.0)


def _kernel_csr(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """RETURNS (sp.csr_matrix): the matrix with the dtypes the unchecked kernel reads (float32
    values, int32 indices), sharing the arrays that already have them."""
    return sp.csr_matrix(
        (np.ascontiguousarray(matrix.data, dtype=np.float32),
         np.ascontiguousarray(matrix.indices, dtype=_INDEX_DTYPE),
         np.ascontiguousarray(matrix.indptr, dtype=_INDEX_DTYPE)),
        shape=matrix.shape,
    )
