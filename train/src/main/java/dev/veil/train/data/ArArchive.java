package dev.veil.train.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/** Reads one member of a Unix {@code ar} archive (the container format of a Debian .deb). */
final class ArArchive {
    private static final byte[] MAGIC = "!<arch>\n".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = 60;

    private ArArchive() {}

    /** The bytes of member {@code name}; {@code file} only names the archive in errors. */
    static byte[] member(byte[] archive, String name, Path file) throws IOException {
        if (archive.length < MAGIC.length || !Arrays.equals(archive, 0, MAGIC.length, MAGIC, 0, MAGIC.length))
            throw new IOException(file + ": not an ar archive (a .deb starts with !<arch>)");
        int pos = MAGIC.length;
        while (pos + HEADER <= archive.length) {
            String header = new String(archive, pos, HEADER, StandardCharsets.US_ASCII);
            String member = header.substring(0, 16).strip();
            if (member.endsWith("/")) member = member.substring(0, member.length() - 1); // GNU ar style
            long size;
            try {
                size = Long.parseLong(header.substring(48, 58).strip());
            } catch (NumberFormatException e) {
                throw new IOException(file + ": corrupt ar header at byte " + pos);
            }
            int start = pos + HEADER;
            if (size < 0 || start + size > archive.length)
                throw new IOException(file + ": ar member " + member + " runs past the end of the archive");
            if (member.equals(name)) return Arrays.copyOfRange(archive, start, start + (int) size);
            pos = start + (int) size + (int) (size & 1); // members are 2-byte aligned
        }
        throw new IOException(file + ": no member " + name + " in the archive");
    }
}
