#pragma once

#include <stdexcept>
#include <string>

namespace dg {

// Every failure the backend reports: a one-line message that names the file/argument and the problem.
class Error : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// A model and the shape of its samples do not fit (the probe shape, or what forward returned for it); the caller knows
// where the shape came from (a --noise file) and can say so.
class ShapeError : public Error
{
public:
    using Error::Error;
};

// Thrown when a CancelToken fires; the job's finished state is left untouched.
class Cancelled : public Error
{
public:
    Cancelled() : Error("cancelled") {}
    // What was kept when the work stopped part-way ("the samples are written; the animation is not").
    explicit Cancelled(const std::string& kept) : Error(kept) {}
};

// One readable line for any exception that reaches a user: a dg::Error's message; LibTorch's c10::Error without its
// C++ backtrace ("Exception raised from ... frame #0"); "out of memory" for std::bad_alloc; the first line otherwise.
std::string errorMessage(const std::exception& e);

} // namespace dg
