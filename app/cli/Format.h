#pragma once

#include <sstream>
#include <string>

namespace dg::cli {

inline std::string formatNumber(double v, int precision = 3)
{
    std::ostringstream s;
    s.precision(precision);
    s << v;
    return s.str();
}

} // namespace dg::cli
