# Finds LibTorch and decides whether CUDA is used (DG_WITH_CUDA: AUTO|ON|OFF).
find_package(Torch REQUIRED)
find_package(ZLIB REQUIRED)
find_package(nlohmann_json 3 REQUIRED) # every JSON the backend reads and writes

set(DG_TORCH_HAS_CUDA OFF)
if(TORCH_CUDA_LIBRARIES OR CAFFE2_USE_CUDA)
    set(DG_TORCH_HAS_CUDA ON)
endif()

if(DG_WITH_CUDA STREQUAL "ON" AND NOT DG_TORCH_HAS_CUDA)
    message(FATAL_ERROR "DG_WITH_CUDA=ON but the LibTorch found at ${Torch_DIR} was built without CUDA; "
                        "point Torch_DIR at a CUDA LibTorch (e.g. python -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')")
elseif(DG_WITH_CUDA STREQUAL "OFF")
    set(DG_USE_CUDA OFF)
elseif(DG_WITH_CUDA STREQUAL "AUTO" OR DG_WITH_CUDA STREQUAL "ON")
    set(DG_USE_CUDA ${DG_TORCH_HAS_CUDA})
else()
    message(FATAL_ERROR "DG_WITH_CUDA must be AUTO, ON or OFF (got '${DG_WITH_CUDA}')")
endif()
message(STATUS "DG Studio: LibTorch ${Torch_VERSION} at ${Torch_DIR}; CUDA ${DG_USE_CUDA}")
