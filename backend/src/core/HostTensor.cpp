#include "dg/HostTensor.h"
#include "dg/CancelToken.h"
#include "dg/Error.h"

#include <functional>
#include <numeric>

namespace dg {

void CancelToken::throwIfCancelled() const
{
    if (isCancelled()) throw Cancelled();
}

int64_t HostTensor::numel() const
{
    return shape.empty() ? 0 : std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
}

int64_t HostTensor::sampleSize() const
{
    return shape.empty() ? 0 : std::accumulate(shape.begin() + 1, shape.end(), int64_t{1}, std::multiplies<>());
}

HostTensor HostTensor::slice(int64_t first, int64_t count) const
{
    HostTensor out;
    out.shape = shape;
    out.shape[0] = count;
    out.values.assign(values.begin() + first * sampleSize(), values.begin() + (first + count) * sampleSize());
    return out;
}

std::string shapeToString(const std::vector<int64_t>& shape)
{
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

} // namespace dg
