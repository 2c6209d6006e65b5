"""Deliberately naive loop versions of the windowed ops (convolution, padding, pooling),
the losses and the embedding lookup, for self-tests only.

Every output element is computed on its own from the definition, with explicit index
arithmetic and no NumPy vector tricks, so that each line can be checked by eye. They share
no code with reference/: agreement between the two is evidence that both are right.
"""

import math

import numpy as np


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def source_index(i, size, mode):
    """Input index that padded position i (counted from the real first element) copies;
    None where the padded value is a zero."""
    if 0 <= i < size:
        return i
    if mode == "zeros":
        return None
    if mode == "reflect":
        # Mirror without repeating the edge: -1 -> 1, size -> size - 2.
        return -i if i < 0 else 2 * (size - 1) - i
    if mode == "replicate":
        return 0 if i < 0 else size - 1
    if mode == "circular":
        return i % size
    raise ValueError(mode)


def pad2d_naive(x, top, bottom, left, right, mode):
    """Pad the last two dims, one element at a time."""
    x = np.asarray(x, dtype=np.float64)
    height, width = x.shape[-2:]
    out = np.zeros((*x.shape[:-2], top + height + bottom, left + width + right))
    for lead in np.ndindex(*x.shape[:-2]):
        for r in range(out.shape[-2]):
            for c in range(out.shape[-1]):
                src_r = source_index(r - top, height, mode)
                src_c = source_index(c - left, width, mode)
                if src_r is not None and src_c is not None:
                    out[(*lead, r, c)] = x[(*lead, src_r, src_c)]
    return out


def conv2d_pads_naive(kernel, dilation, padding):
    """(top, bottom, left, right) from the padding argument, as torch documents it."""
    (k_h, k_w), (d_h, d_w) = kernel, _pair(dilation)
    if padding == "valid":
        return 0, 0, 0, 0
    if padding == "same":
        total_h = d_h * (k_h - 1)
        total_w = d_w * (k_w - 1)
        return total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2
    p_h, p_w = _pair(padding)
    return p_h, p_h, p_w, p_w


def conv2d_naive(x, weight, bias, stride, padding, dilation, groups, padding_mode="zeros"):
    """y[n,o,h,w] = b[o] + sum_{c,i,j} w[o,c,i,j] * xp[n, g*Cg + c, h*sH + i*dH, w*sW + j*dW]."""
    x = np.asarray(x, dtype=np.float64)
    weight = np.asarray(weight, dtype=np.float64)
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    n_batch, _, height, width = x.shape
    out_channels, in_per_group, k_h, k_w = weight.shape
    out_per_group = out_channels // groups
    (s_h, s_w), (d_h, d_w) = _pair(stride), _pair(dilation)
    top, bottom, left, right = conv2d_pads_naive((k_h, k_w), dilation, padding)
    out_h = (height + top + bottom - d_h * (k_h - 1) - 1) // s_h + 1
    out_w = (width + left + right - d_w * (k_w - 1) - 1) // s_w + 1
    y = np.zeros((n_batch, out_channels, out_h, out_w))
    for n in range(n_batch):
        for o in range(out_channels):
            group = o // out_per_group
            for h in range(out_h):
                for w in range(out_w):
                    total = 0.0 if bias is None else float(bias[o])
                    for c in range(in_per_group):
                        for i in range(k_h):
                            for j in range(k_w):
                                # Position in the unpadded input, then mapped by the mode.
                                r = source_index(h * s_h + i * d_h - top, height, padding_mode)
                                q = source_index(w * s_w + j * d_w - left, width, padding_mode)
                                if r is None or q is None:
                                    continue
                                channel = group * in_per_group + c
                                total += weight[o, c, i, j] * x[n, channel, r, q]
                    y[n, o, h, w] = total
    return y[0] if unbatched else y


def avg_pool2d_naive(
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Each output is the sum of its window's real elements over the divisor torch uses."""
    x = np.asarray(x, dtype=np.float64)
    (k_h, k_w) = _pair(kernel_size)
    (s_h, s_w) = (k_h, k_w) if stride is None else _pair(stride)
    (p_h, p_w) = _pair(padding)
    height, width = x.shape[-2:]

    def out_size(size, k, s, p):
        span = size + 2 * p - k
        # Ceil division written out, so it does not lean on the floor-of-negative trick.
        out = (span // s + (1 if span % s else 0) if ceil_mode else span // s) + 1
        # The last window must start inside the input or the left padding.
        if ceil_mode and (out - 1) * s >= size + p:
            out -= 1
        return out

    out_h, out_w = out_size(height, k_h, s_h, p_h), out_size(width, k_w, s_w, p_w)
    y = np.zeros((*x.shape[:-2], out_h, out_w))
    for lead in np.ndindex(*x.shape[:-2]):
        for oh in range(out_h):
            for ow in range(out_w):
                start_h, start_w = oh * s_h - p_h, ow * s_w - p_w
                # The window ends at the kernel's edge or the padded extent, whichever is first.
                end_h, end_w = min(start_h + k_h, height + p_h), min(start_w + k_w, width + p_w)
                total, real = 0.0, 0
                for r in range(start_h, end_h):
                    for q in range(start_w, end_w):
                        if 0 <= r < height and 0 <= q < width:
                            total += x[(*lead, r, q)]
                            real += 1
                if divisor_override is not None:
                    divisor = divisor_override
                elif count_include_pad:
                    divisor = (end_h - start_h) * (end_w - start_w)
                else:
                    divisor = real
                y[(*lead, oh, ow)] = total / divisor
    return y


def max_pool2d_naive(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Each output is the largest real element of its window, and where the first one sits.

    Returns (y, argmax positions): the position is (row, col) of the first maximum met
    scanning the kernel row by row, replaced only by a strictly greater value.
    """
    x = np.asarray(x, dtype=np.float64)
    (k_h, k_w) = _pair(kernel_size)
    (s_h, s_w) = (k_h, k_w) if stride is None else _pair(stride)
    (p_h, p_w) = _pair(padding)
    (d_h, d_w) = _pair(dilation)
    height, width = x.shape[-2:]

    def out_size(size, k, s, p, d):
        span = size + 2 * p - d * (k - 1) - 1
        out = (span // s + (1 if span % s else 0) if ceil_mode else span // s) + 1
        if ceil_mode and (out - 1) * s >= size + p:
            out -= 1
        return out

    out_h, out_w = out_size(height, k_h, s_h, p_h, d_h), out_size(width, k_w, s_w, p_w, d_w)
    y = np.full((*x.shape[:-2], out_h, out_w), -np.inf)
    where = np.zeros((*x.shape[:-2], out_h, out_w, 2), dtype=np.int64)
    for lead in np.ndindex(*x.shape[:-2]):
        for oh in range(out_h):
            for ow in range(out_w):
                best, at = -np.inf, (0, 0)
                for i in range(k_h):
                    for j in range(k_w):
                        r, q = oh * s_h - p_h + i * d_h, ow * s_w - p_w + j * d_w
                        if 0 <= r < height and 0 <= q < width and x[(*lead, r, q)] > best:
                            best, at = x[(*lead, r, q)], (r, q)
                y[(*lead, oh, ow)] = best
                where[(*lead, oh, ow)] = at
    return y, where


def max_pool2d_vjp_naive(x, kernel_size, stride, padding, dilation, ceil_mode, grad_y):
    """Each window's gradient added at its first maximum, one window at a time."""
    _, where = max_pool2d_naive(x, kernel_size, stride, padding, dilation, ceil_mode)
    grad = np.zeros(np.shape(x))
    y, _ = max_pool2d_naive(x, kernel_size, stride, padding, dilation, ceil_mode)
    for index in np.ndindex(*np.shape(grad_y)):
        if y[index] == -np.inf:
            continue  # a window with no real element: constant, no gradient
        lead = index[:-2]
        r, q = where[index]
        grad[(*lead, r, q)] += grad_y[index]
    return grad


def conv1d_naive(x, weight, bias, stride, padding, dilation, groups, padding_mode="zeros"):
    """y[n,o,l] = b[o] + sum_{c,j} w[o,c,j] * xp[n, g*Cg + c, l*s + j*d], one output at a time."""
    x = np.asarray(x, dtype=np.float64)
    weight = np.asarray(weight, dtype=np.float64)
    unbatched = x.ndim == 2
    if unbatched:
        x = x[None]
    n_batch, _, length = x.shape
    out_channels, in_per_group, k = weight.shape
    out_per_group = out_channels // groups
    (s,), (d,) = _single(stride), _single(dilation)
    if padding == "valid":
        left = right = 0
    elif padding == "same":
        total = d * (k - 1)
        left, right = total // 2, total - total // 2
    else:
        (left,) = _single(padding)
        right = left
    out_length = (length + left + right - d * (k - 1) - 1) // s + 1
    y = np.zeros((n_batch, out_channels, out_length))
    for n in range(n_batch):
        for o in range(out_channels):
            group = o // out_per_group
            for position in range(out_length):
                total = 0.0 if bias is None else float(bias[o])
                for c in range(in_per_group):
                    for j in range(k):
                        q = source_index(position * s + j * d - left, length, padding_mode)
                        if q is None:
                            continue
                        total += weight[o, c, j] * x[n, group * in_per_group + c, q]
                y[n, o, position] = total
    return y[0] if unbatched else y


def _single(value):
    return (value,) if isinstance(value, int) else tuple(value)


def _pool_out_length(length, k, s, p, d, ceil_mode):
    """torch's pooling_output_shape along one dim, written out."""
    span = length + 2 * p - d * (k - 1) - 1
    out = (span // s + (1 if span % s else 0) if ceil_mode else span // s) + 1
    # The last window must start inside the input or the left padding.
    if ceil_mode and (out - 1) * s >= length + p:
        out -= 1
    return out


def avg_pool1d_naive(
    x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
):
    """Each output is the sum of its window's real elements over the divisor torch uses."""
    x = np.asarray(x, dtype=np.float64)
    (k,) = _single(kernel_size)
    (s,) = (k,) if stride is None else _single(stride)
    (p,) = _single(padding)
    length = x.shape[-1]
    out_length = _pool_out_length(length, k, s, p, 1, ceil_mode)
    y = np.zeros((*x.shape[:-1], out_length))
    for lead in np.ndindex(*x.shape[:-1]):
        for o in range(out_length):
            start = o * s - p
            # The window ends at the kernel's edge or the padded extent, whichever is first.
            end = min(start + k, length + p)
            total, real = 0.0, 0
            for q in range(start, end):
                if 0 <= q < length:
                    total += x[(*lead, q)]
                    real += 1
            y[(*lead, o)] = total / ((end - start) if count_include_pad else real)
    return y


def max_pool1d_naive(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Each output is the largest real element of its window, and where the first one sits."""
    x = np.asarray(x, dtype=np.float64)
    (k,) = _single(kernel_size)
    (s,) = (k,) if stride is None else _single(stride)
    (p,), (d,) = _single(padding), _single(dilation)
    length = x.shape[-1]
    out_length = _pool_out_length(length, k, s, p, d, ceil_mode)
    y = np.full((*x.shape[:-1], out_length), -np.inf)
    where = np.zeros((*x.shape[:-1], out_length), dtype=np.int64)
    for lead in np.ndindex(*x.shape[:-1]):
        for o in range(out_length):
            best, at = -np.inf, -1
            for i in range(k):
                q = o * s - p + i * d
                # Replaced only by a strictly greater value: ties keep the leftmost.
                if 0 <= q < length and x[(*lead, q)] > best:
                    best, at = x[(*lead, q)], q
            y[(*lead, o)] = best
            where[(*lead, o)] = at
    return y, where


def max_pool1d_vjp_naive(x, kernel_size, stride, padding, dilation, ceil_mode, grad_y):
    """Each window's gradient added at its first maximum, one window at a time."""
    y, where = max_pool1d_naive(x, kernel_size, stride, padding, dilation, ceil_mode)
    grad = np.zeros(np.shape(x))
    for index in np.ndindex(*np.shape(grad_y)):
        if y[index] == -np.inf:
            continue  # a window with no real element: constant, no gradient
        grad[(*index[:-1], where[index])] += grad_y[index]
    return grad


# ---- losses: one position at a time, the documented formula written out ----------------


def _positions(shape):
    """The positions of a loss input: () for (C,), (n, d1, ...) for (N, C, d1, ...)."""
    if len(shape) == 1:
        return [()]
    return list(np.ndindex(shape[0], *shape[2:]))


def _at(position, c):
    """The input index of class c at a position."""
    return (c,) if position == () else (position[0], c, *position[1:])


def _log_softmax_at(x, position, classes):
    values = [float(x[_at(position, c)]) for c in range(classes)]
    top = max(values)
    total = 0.0
    for v in values:
        total += math.exp(v - top)
    return [v - top - math.log(total) for v in values]


def _reduce_naive(losses, reduction, divisor):
    if reduction == "none":
        return losses
    total = 0.0
    for value in losses.ravel():
        total += value
    if reduction == "sum":
        return np.array(total)
    return np.array(math.nan if divisor == 0 else total / divisor)


def nll_loss_naive(x, target, weight=None, ignore_index=-100, reduction="mean"):
    """-w[t] x[p, t] at every position not ignored; 'mean' over the targets' total weight."""
    x = np.asarray(x, dtype=np.float64)
    target = np.asarray(target)
    losses = np.zeros(target.shape)
    total_weight = 0.0
    for position in _positions(x.shape):
        t = int(target[position])
        if t == ignore_index:
            continue
        w = 1.0 if weight is None else float(weight[t])
        losses[position] = -w * x[_at(position, t)]
        total_weight += w
    return _reduce_naive(losses, reduction, total_weight)


def cross_entropy_naive(
    x, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Per position, from the documentation's formulas: class indices with smoothing
    (1 - e) * -w[t] logp[t] + e / C * sum_c -w[c] logp[c], 'mean' over the targets' total
    weight; probabilities q' = (1 - e) q + e / C: -sum_c w[c] q'[c] logp[c], 'mean' over
    the positions."""
    x = np.asarray(x, dtype=np.float64)
    target = np.asarray(target)
    classes = x.shape[0] if x.ndim == 1 else x.shape[1]
    probabilities = target.dtype.kind == "f"
    positions = _positions(x.shape)
    losses = np.zeros(() if x.ndim == 1 else (x.shape[0], *x.shape[2:]))
    divisor = 0.0
    for position in positions:
        logp = _log_softmax_at(x, position, classes)
        w = [1.0 if weight is None else float(weight[c]) for c in range(classes)]
        loss = 0.0
        if probabilities:
            for c in range(classes):
                q = (1 - label_smoothing) * float(target[_at(position, c)])
                loss -= w[c] * (q + label_smoothing / classes) * logp[c]
            divisor += 1
        else:
            t = int(target[position])
            if t == ignore_index:
                continue
            loss = -(1 - label_smoothing) * w[t] * logp[t]
            for c in range(classes):
                loss -= label_smoothing / classes * w[c] * logp[c]
            divisor += w[t]
        losses[position] = loss
    return _reduce_naive(losses, reduction, divisor)


def mse_loss_naive(x, target, reduction="mean"):
    """(x - t)^2 element by element; 'mean' over the elements."""
    x = np.asarray(x, dtype=np.float64)
    losses = np.zeros(x.shape)
    for index in np.ndindex(*x.shape):
        difference = x[index] - float(target[index])
        losses[index] = difference * difference
    return _reduce_naive(losses, reduction, x.size)


# ---- the embedding lookup -----------------------------------------------------------------


def embedding_naive(indices, weight, max_norm=None, norm_type=2.0):
    """(y, weight after the call): each looked-up row of norm above max_norm scaled to
    max_norm / (norm + 1e-7) first, row by row, then every position copies its row."""
    weight = np.array(weight, dtype=np.float64)
    indices = np.asarray(indices)
    if max_norm is not None:
        for row in sorted({int(i) for i in indices.ravel()}):
            if math.isinf(norm_type):
                norm = max(abs(v) for v in weight[row]) if weight.shape[1] else 0.0
            else:
                norm = sum(abs(v) ** norm_type for v in weight[row]) ** (1 / norm_type)
            if norm > max_norm:
                for j in range(weight.shape[1]):
                    weight[row, j] = weight[row, j] * (max_norm / (norm + 1e-7))
    y = np.zeros((*indices.shape, weight.shape[1]))
    for position in np.ndindex(*indices.shape):
        for j in range(weight.shape[1]):
            y[(*position, j)] = weight[int(indices[position]), j]
    return y, weight


def embedding_vjp_naive(indices, num_embeddings, grad_y, padding_idx=None, freq=False):
    """Each position adds its output gradient to its row (over the row's count with freq);
    the padding row stays zero."""
    indices = np.asarray(indices)
    dim = grad_y.shape[-1]
    counts = [0] * num_embeddings
    for position in np.ndindex(*indices.shape):
        counts[int(indices[position])] += 1
    pad = None if padding_idx is None else padding_idx % num_embeddings
    grad = np.zeros((num_embeddings, dim))
    for position in np.ndindex(*indices.shape):
        row = int(indices[position])
        if row == pad:
            continue
        for j in range(dim):
            value = grad_y[(*position, j)]
            grad[row, j] += value / counts[row] if freq else value
    return grad
