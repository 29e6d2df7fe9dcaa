#pragma once

#include <QString>

#include <exception>
#include <string>

// dg-studio's one table from the backend's field ids ("‹denoiser›") to the controls a user sees ("Model › Denoiser").
QString studioErrorMessage(const std::exception& e);
// The same renaming for a message that arrives as text (the playback engine's and the training job's failures).
QString studioErrorText(const std::string& message);
