# quarry_add_library(name SOURCES a.cc b.cc DEPS x y)
# A static library for one layer or plugin. Include paths start at src/ (and plugins/).
function(quarry_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# quarry_add_test(name SOURCES a_test.cc DEPS lib)
# One GoogleTest executable per folder; every TEST is registered with ctest.
function(quarry_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  include(GoogleTest)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30
    PROPERTIES ENVIRONMENT "QUARRY_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
