#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

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

// Backend messages name the value at fault by its field id, spelled as dg's flag ("--denoiser: '…' is not a
// TorchScript file"): dg shows them as they are; a GUI renames each id to the label of its own control with one
// table (ui/qt/FieldLabels.cpp, ui/imgui/LabController.cpp). An id not in the table stays as it is.
using FieldLabels = std::vector<std::pair<std::string, std::string>>; // {"--denoiser", "Denoiser"}, …
std::string renameFields(const std::string& text, const FieldLabels& labels);

} // namespace dg
