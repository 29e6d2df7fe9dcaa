#pragma once

#include "dg/Animation.h"
#include "dg/CancelToken.h"

namespace dg {

// The file formats behind writeAnimation/readAnimation (frames already checked: same size, at least one).
void writeGif(const std::string& path, const std::vector<RgbImage>& frames, const AnimationTiming& timing,
              const std::string& metadata, const CancelToken* cancel);
DecodedAnimation readGif(const std::string& path);
void writeMp4(const std::string& path, const std::vector<RgbImage>& frames, const AnimationTiming& timing,
              const std::string& metadata, const CancelToken* cancel);
DecodedAnimation readMp4(const std::string& path);

} // namespace dg
