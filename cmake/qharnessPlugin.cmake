# qharness_add_plugin(<target> SOURCES <files...>)
#
# Builds one plugin shared library. The same function serves plugins built in this tree and
# plugins built out of tree against an installed qharness (find_package(qharness) brings it).
# Inside this tree the library lands in the build's plugin folder, where the driver looks
# first; out of tree it stays in the caller's build folder: put that folder (or the .so) on
# $QHARNESS_PLUGIN_PATH.
function(qharness_add_plugin target)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "qharness_add_plugin(${target}): SOURCES is required")
  endif()
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE qharness::plugin_api)
  # No "lib" prefix: the file name is the plugin library's name in `qharness plugins`.
  set_target_properties(${target} PROPERTIES PREFIX "" CXX_VISIBILITY_PRESET hidden
                                             VISIBILITY_INLINES_HIDDEN ON)
  if(DEFINED QHARNESS_BUILD_PLUGIN_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${QHARNESS_BUILD_PLUGIN_DIR}")
    install(TARGETS ${target} LIBRARY DESTINATION "${QHARNESS_PLUGIN_SUBDIR}")
  endif()
endfunction()
