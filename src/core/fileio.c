#include "framegen/fileio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

fg_status fg_temp_path_beside(const char *path, char *tmp, size_t len, fg_error *err)
{
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    const char *base = slash ? slash + 1 : path;
    int n = snprintf(tmp, len, "%.*s.%s.tmp-XXXXXX", dirlen, path, base);
    if (n < 0 || (size_t)n >= len)
        return fg_error_set(err, FG_ERR_IO, "%s: path too long", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return fg_error_set(err, FG_ERR_IO, "%s: cannot create temporary file: %s", path,
                            strerror(errno));
    close(fd);
    return FG_OK;
}

fg_status fg_rename_into_place(const char *tmp, const char *path, fg_error *err)
{
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return fg_error_set(err, FG_ERR_IO, "%s: cannot rename temporary file: %s", path,
                            strerror(e));
    }
    return FG_OK;
}

fg_status fg_atomic_open(fg_atomic_file *af, const char *path, fg_error *err)
{
    memset(af, 0, sizeof *af);
    if (strlen(path) >= sizeof af->final_path)
        return fg_error_set(err, FG_ERR_IO, "%s: path too long", path);
    strcpy(af->final_path, path);
    fg_status st = fg_temp_path_beside(path, af->tmp_path, sizeof af->tmp_path, err);
    if (st != FG_OK)
        return st;
    af->fp = fopen(af->tmp_path, "wb");
    if (!af->fp) {
        int e = errno;
        unlink(af->tmp_path);
        return fg_error_set(err, FG_ERR_IO, "%s: cannot open for writing: %s", path, strerror(e));
    }
    return FG_OK;
}

fg_status fg_atomic_commit(fg_atomic_file *af, fg_error *err)
{
    if (!af->fp)
        return fg_error_set(err, FG_ERR_IO, "%s: file not open", af->final_path);
    int bad = ferror(af->fp) || fflush(af->fp) != 0 || fsync(fileno(af->fp)) != 0;
    int e = errno;
    if (fclose(af->fp) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    af->fp = NULL;
    if (bad) {
        unlink(af->tmp_path);
        return fg_error_set(err, FG_ERR_IO, "%s: write failed: %s", af->final_path, strerror(e));
    }
    return fg_rename_into_place(af->tmp_path, af->final_path, err);
}

void fg_atomic_abort(fg_atomic_file *af)
{
    if (af->fp) {
        fclose(af->fp);
        af->fp = NULL;
    }
    if (af->tmp_path[0])
        unlink(af->tmp_path);
    af->tmp_path[0] = '\0';
}
