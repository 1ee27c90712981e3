// SPDX-License-Identifier: BSD-2-Clause
/*
 * partitions.c - the partition file OpenSM reads while the escrow runs.
 *
 * OpenSM rebuilds every membership from partition_config_file on each heavy
 * sweep (osm_prtn_make_partitions(), called by its P_Key manager before the
 * LID manager): a membership an escrow moved must be in that file, or the
 * next sweep undoes it (doc/simulator.md, "LIDs").  So at start the service
 * points OpenSM at a file of its own (escrow_partitions, in the state
 * directory): the operator's file with the escrow's overlay applied
 * (lid-escrow/esc_prtn.h).  The operator's file is never written; the
 * worker looks at it every second and at every heavy sweep's start, and a
 * change is in the derived file, and a heavy sweep asked for, within that.
 * partition_config_file is not one of the options OpenSM re-reads on HUP
 * (its can_update is 0 in osm_subnet.c), so our path stays in place.
 *
 * All of this runs on the worker with svc->lock held, but for
 * ibvmig_prtn_setup (at start, before OpenSM's first sweep).
 * Log codes of this file: DExx (doc/log-codes.md).
 */
#include <opensm/osm_config.h>
#include <opensm/osm_base.h>
#include <opensm/osm_subnet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escrow.h"

/* A partition file is a few kilobytes; this bounds what a mistake can make us read. */
#define PRTN_FILE_MAX (16u << 20)

int ibvmig_prtn_setup(struct ibvmig_escrow *svc)
{
	osm_subn_opt_t *opt = &svc->p->osm->subn.opt;
	const char *cur = opt->partition_config_file ? opt->partition_config_file
						     : OSM_DEFAULT_PARTITION_CONFIG_FILE;
	char *mine;

	if (!strcmp(cur, svc->derived_path)) {
		IBVMIG_ERROR(svc->p, "ERR DE01: OpenSM's partition_config_file is the escrow's own "
			     "%s: name the operator's file there", cur);
		return -EINVAL;
	}
	snprintf(svc->operator_path, sizeof(svc->operator_path), "%s", cur);
	mine = strdup(svc->derived_path);
	if (!mine)
		return -ENOMEM;
	/* OpenSM frees the option at exit (osm_subn_destroy): it must be malloc'ed. */
	free(opt->partition_config_file);
	opt->partition_config_file = mine;
	IBVMIG_INFO(svc->p, "escrow: OpenSM reads its partitions from %s, made from %s and the "
		    "escrow's overlay", svc->derived_path, svc->operator_path);
	return 0;
}

/* The operator's file, or NULL with *@rc 0 (none) or -errno. */
static char *read_operator(struct ibvmig_escrow *svc, struct stat *st, int *rc)
{
	int fd = open(svc->operator_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	char *text = NULL;
	ssize_t got = 0, n;

	*rc = 0;
	if (fd < 0) {
		*rc = errno == ENOENT ? 0 : -errno;
		return NULL;
	}
	if (fstat(fd, st) || !S_ISREG(st->st_mode) || st->st_size > PRTN_FILE_MAX) {
		*rc = -EINVAL;
		goto out;
	}
	text = malloc((size_t)st->st_size + 1);
	if (!text) {
		*rc = -ENOMEM;
		goto out;
	}
	while (got < st->st_size && (n = read(fd, text + got, (size_t)(st->st_size - got))) > 0)
		got += n;
	text[got] = '\0';
	st->st_size = got;
out:
	close(fd);
	return text;
}

static bool same_file(const struct ibvmig_escrow *svc, const struct stat *st)
{
	return svc->prtn_seen && st->st_ino == svc->prtn_ino && st->st_size == svc->prtn_size &&
	       st->st_mtim.tv_sec == svc->prtn_mtime.tv_sec &&
	       st->st_mtim.tv_nsec == svc->prtn_mtime.tv_nsec;
}

bool ibvmig_prtn_reload(struct ibvmig_escrow *svc, bool force)
{
	struct esc_prtn_file *f = NULL;
	struct stat st;
	char err[160], *text;
	int rc;

	if (stat(svc->operator_path, &st)) {
		if (!svc->prtn_seen && !force)
			return false;
		svc->prtn_seen = false;
		esc_prtn_free(svc->prtn);
		svc->prtn = NULL;
		free(svc->prtn_raw);
		svc->prtn_raw = NULL;
		return true;
	}
	if (!force && same_file(svc, &st))
		return false;
	text = read_operator(svc, &st, &rc);
	if (!text) {
		if (rc)
			IBVMIG_ERROR(svc->p, "ERR DE02: partition file %s: %s: the escrow's file "
				     "keeps what it had", svc->operator_path, strerror(-rc));
		return false;
	}
	rc = esc_prtn_parse(text, (size_t)st.st_size, &f, err, sizeof(err));
	if (rc)
		IBVMIG_ERROR(svc->p, "ERR DE03: partition file %s: %s: OpenSM cannot read it "
			     "either; it is passed on as it is, without the escrow's overlay",
			     svc->operator_path, rc == -ENOMEM ? "out of memory" : err);
	esc_prtn_free(svc->prtn);
	svc->prtn = f;
	free(svc->prtn_raw);
	svc->prtn_raw = text;
	svc->prtn_seen = true;
	svc->prtn_ino = st.st_ino;
	svc->prtn_size = st.st_size;
	svc->prtn_mtime = st.st_mtim;
	return true;
}

bool ibvmig_prtn_names(struct ibvmig_escrow *svc, uint16_t pkey, uint64_t guid)
{
	switch (esc_overlay_get(svc->overlay, guid, pkey, NULL)) {
	case ESC_OVL_ADDED:
		return true;
	case ESC_OVL_REMOVED:
		return false;
	default:
		return esc_prtn_names(svc->prtn, pkey, guid);
	}
}

/* Writes @text to the derived file through a rename: 0 or -errno. */
static int write_file(struct ibvmig_escrow *svc, const char *text, size_t len)
{
	char tmp[PATH_MAX + 40];
	size_t done = 0;
	ssize_t n;
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", svc->derived_path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (done < len && (n = write(fd, text + done, len - done)) > 0)
		done += (size_t)n;
	if (done < len)
		rc = -EIO;
	else if (fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, svc->derived_path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

int ibvmig_prtn_write(struct ibvmig_escrow *svc)
{
	size_t len = 0, unplaced = 0;
	char *text = NULL;
	int rc;

	if (svc->prtn_raw && !svc->prtn) {
		text = strdup(svc->prtn_raw);	/* unreadable: as it is */
		len = text ? strlen(text) : 0;
		rc = text ? 0 : -ENOMEM;
	} else {
		rc = esc_prtn_derive(svc->prtn, svc->overlay, &text, &len, &unplaced);
	}
	if (rc)
		return rc;
	if (svc->derived_valid && ((!len && !svc->derived) ||
				   (svc->derived && !strcmp(svc->derived, text)))) {
		free(text);
		return 0;
	}
	/*
	 * No file, rather than an empty one: OpenSM takes a missing file for the
	 * default partition alone, and logs an empty one as a parse failure.
	 */
	if (!len) {
		rc = unlink(svc->derived_path) && errno != ENOENT ? -errno : 0;
	} else {
		rc = write_file(svc, text, len);
	}
	if (rc) {
		IBVMIG_ERROR(svc->p, "ERR DE04: cannot write the partition file %s: %s: OpenSM "
			     "reads the last one written", svc->derived_path, strerror(-rc));
		free(text);
		return rc;
	}
	if (unplaced)
		IBVMIG_ERROR(svc->p, "ERR DE05: %zu memberships given by escrows are in partitions "
			     "%s no longer defines: nobody has them", unplaced, svc->operator_path);
	IBVMIG_INFO(svc->p, "escrow: partition file %s %s (%zu overlay entries)", svc->derived_path,
		    len ? "written" : "removed (no partitions)", esc_overlay_count(svc->overlay));
	free(svc->derived);
	svc->derived = len ? text : NULL;
	if (!len)
		free(text);
	svc->derived_valid = true;
	return 1;
}

void ibvmig_prtn_cleanup(struct ibvmig_escrow *svc)
{
	esc_prtn_free(svc->prtn);
	svc->prtn = NULL;
	free(svc->prtn_raw);
	svc->prtn_raw = NULL;
	free(svc->derived);
	svc->derived = NULL;
	svc->derived_valid = false;
}
