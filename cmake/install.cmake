# install.cmake: `cmake --install build --prefix P` lays out
#   P/bin/xfer_*                    the programs
#   P/share/xfer/jobs/*.sh          the SLURM job scripts (sbatch P/share/xfer/jobs/grid.sh)
#   P/share/xfer/jobs/grids/*.ini   the grid presets and their trainer configs
# Installed programs find the presets relative to themselves
# (<bin>/../share/xfer/jobs/grids), and the job scripts find the programs
# relative to themselves (<jobs>/../../../bin): a prefix can be moved whole.
include(GNUInstallDirs)
set(xfer_programs xfer_train xfer_grid xfer_prep_fmnist xfer_prep_imagenet xfer_prep_images xfer_make_splits xfer_make_views
    xfer_verify_data xfer_tables xfer_plot)
foreach(p ${xfer_programs})
  if(TARGET ${p})
    install(TARGETS ${p} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()
file(GLOB xfer_job_scripts ${PROJECT_SOURCE_DIR}/jobs/*.sh)
install(PROGRAMS ${xfer_job_scripts} DESTINATION ${CMAKE_INSTALL_DATADIR}/xfer/jobs)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/jobs/grids/ DESTINATION ${CMAKE_INSTALL_DATADIR}/xfer/jobs/grids
        FILES_MATCHING PATTERN "*.ini")
