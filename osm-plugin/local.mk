# osm-plugin: the OpenSM event plugin, installed as libibvmig.so (OpenSM
# dlopens lib<event_plugin_name>.so).  OpenSM's internals it calls live in the
# opensm executable, so it is linked without -Wl,--no-undefined.
lib_LTLIBRARIES = osm-plugin/libibvmig.la
osm_plugin_libibvmig_la_SOURCES = osm-plugin/plugin.h osm-plugin/plugin.c \
	osm-plugin/gir_hook.c osm-plugin/notices.c osm-plugin/reconcile.c \
	osm-plugin/state.c osm-plugin/worker.c osm-plugin/admin.c
osm_plugin_libibvmig_la_CPPFLAGS = $(AM_CPPFLAGS) $(OSM_CPPFLAGS)
osm_plugin_libibvmig_la_LDFLAGS = -module -avoid-version -shared \
	-Wl,--version-script=$(srcdir)/osm-plugin/libibvmig.map
osm_plugin_libibvmig_la_LIBADD = trap-table/libtraptable.la libibvmig/libibvmig-wire.la \
	-lopensm -losmcomp -lpthread
EXTRA_DIST += osm-plugin/libibvmig.map
