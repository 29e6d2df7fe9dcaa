#pragma once

#include <sstream>
#include <string>

namespace dg {

// A noise level or value in an error message: 4 significant digits.
inline std::string formatSigma(double sigma)
{
    std::ostringstream s;
    s.precision(4);
    s << sigma;
    return s.str();
}

} // namespace dg
