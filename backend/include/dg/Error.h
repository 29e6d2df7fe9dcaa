#pragma once

#include <functional>
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

// Backend messages name the value at fault by its field id between ‹ and › ("‹denoiser›: '…' is not a TorchScript
// file"), never by one front end's spelling; each front end names its own control: dg and the command lines of
// dg-studio and dg-lab as the flag (cliFields: "--denoiser"), the GUIs by the label of their control with one table
// (ui/qt/FieldLabels.cpp, ui/imgui/LabController.cpp; an id not in the table is shown as the bare id).
using FieldLabels = std::vector<std::pair<std::string, std::string>>; // {"denoiser", "Denoiser"}, …
std::string renameFields(const std::string& text, const std::function<std::string(const std::string& id)>& name);
std::string renameFields(const std::string& text, const FieldLabels& labels);
std::string cliFields(const std::string& text);

} // namespace dg
