package dev.quark.testkit.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;

/**
 * The class-data cache of one extracted application: the classes a start loads and links, written once by a training
 * run and then mapped by every JVM started from the same jar instead of being loaded again. Off unless the system
 * property {@value #KIND_PROPERTY} asks for it: {@code auto} is an AOT cache on JDK 25 and later (JEP 483, created in
 * one run as JEP 514 allows: {@code -XX:AOTCacheOutput}, used with {@code -XX:AOTCache}) and a dynamic CDS archive on
 * JDK 21 to 24 ({@code -XX:ArchiveClassesAtExit}, used with {@code -XX:SharedArchiveFile}); {@code aot-cache} and
 * {@code cds} choose one. It pays for a jar started many times per build only: each start of a silo of the cluster
 * sample took 1.9 to 2.4 s less CPU with an AOT cache and 1.7 s with a CDS archive (about a fifth of what it used until
 * it was killed, on JDK 25), a training 19 to 21 s and 14 s.
 * <p>
 * The training run starts the application with the JVM options and arguments of the first start and
 * {@code -Dspring.context.exit=onRefresh}: Spring creates the singletons and runs their initialisation (schema
 * changelogs among them), then the JVM exits before any lifecycle bean starts, so no port is bound, no silo joins a
 * cluster and no worker claims anything. The cache is written beside the extracted jar, named after the JDK's version,
 * so that it goes with the jar when a new build extracts it again and other test JVMs use it without training. Two test
 * JVMs may train at once: each writes into a folder of its own and moves its cache into place atomically.
 * <p>
 * A training that fails or times out costs a warning on standard error, and a {@code .failed} file beside the cache
 * that spares later test JVMs the same attempt: the applications start without a cache. A cache that the JVM cannot
 * use (another JDK build, other options) costs the JVM's own message in the application's log, never a failure.
 */
final class ClassDataCache {

    /**
     * The system property that chooses the kind of cache: {@code off} (the default), {@code auto}, {@code aot-cache}
     * or {@code cds}.
     */
    static final String KIND_PROPERTY = "quark.testkit.process.class-data";

    private static final Duration TRAINING_TIMEOUT = Duration.ofMinutes(2);

    private final Kind kind;

    private final Path jar;

    private final Path cache;

    /**
     * Creates the cache of an extracted application, of the kind {@value #KIND_PROPERTY} chooses ({@code off} when it
     * is not set).
     * @param jar the extracted application's jar
     * @return its cache
     * @throws IllegalArgumentException when the property has a value it does not know
     */
    static ClassDataCache of(Path jar) {
        return new ClassDataCache(jar, Kind.chosen(System.getProperty(KIND_PROPERTY, "off")));
    }

    ClassDataCache(Path jar, Kind kind) {
        this.kind = kind;
        this.jar = jar;
        this.cache = jar.resolveSibling("class-data-" + Runtime.version() + kind.suffix);
    }

    /**
     * Returns the JVM options that make a JVM map the cache, after a training run when there is no cache yet.
     * @param java the {@code java} launcher
     * @param jvmOptions the options every JVM of the application is started with
     * @param arguments the application's arguments for the training run
     * @return the options, empty when there is no cache: of kind {@code off}, or its training failed
     */
    List<String> options(String java, List<String> jvmOptions, List<String> arguments) {
        if (this.kind == Kind.OFF) {
            return List.of();
        }
        if (!Files.isRegularFile(this.cache)) {
            if (Files.exists(failureMarker())) {
                return List.of();
            }
            String failure = train(java, jvmOptions, arguments);
            if (failure != null) {
                warn(failure);
                return List.of();
            }
        }
        return List.of(this.kind.useOption + this.cache);
    }

    /** The cache's file, beside the extracted jar. */
    Path file() {
        return this.cache;
    }

    /** The training run's output, beside the cache. */
    Path trainingLog() {
        return this.cache.resolveSibling(this.cache.getFileName() + ".training.log");
    }

    /** The file that records a failed training, beside the cache: later test JVMs do not try again. */
    Path failureMarker() {
        return this.cache.resolveSibling(this.cache.getFileName() + ".failed");
    }

    private @Nullable String train(String java, List<String> jvmOptions, List<String> arguments) {
        @Nullable Path folder = null;
        try {
            folder = Files.createTempDirectory(this.cache.getParent(), this.cache.getFileName() + "-training-");
            Path output = folder.resolve(this.cache.getFileName());
            List<String> command = new ArrayList<>();
            command.add(java);
            command.addAll(jvmOptions);
            command.add(this.kind.trainingOption + output);
            command.add("-Dspring.context.exit=onRefresh");
            command.add("-jar");
            command.add(this.jar.toString());
            command.addAll(arguments);
            Path log = folder.resolve("training.log");
            Files.writeString(log, "=== " + String.join(" ", command) + "\n", StandardCharsets.UTF_8);
            String failure = run(command, log);
            Files.move(log, trainingLog(), StandardCopyOption.REPLACE_EXISTING);
            if (failure == null && (!Files.isRegularFile(output) || Files.size(output) == 0)) {
                failure = "wrote no cache";
            }
            if (failure != null) {
                return failure;
            }
            moveIntoPlace(output);
            return null;
        }
        catch (IOException ex) {
            return "failed: " + ex;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return "was interrupted";
        }
        finally {
            deleteQuietly(folder);
        }
    }

    private static @Nullable String run(List<String> command, Path log) throws IOException, InterruptedException {
        Process training = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
        Thread killer = Thread.ofPlatform().unstarted(() -> killWithDescendants(training));
        Runtime.getRuntime().addShutdownHook(killer);
        try {
            if (!training.waitFor(TRAINING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                killWithDescendants(training);
                training.waitFor(30, TimeUnit.SECONDS);
                return "did not end within " + TRAINING_TIMEOUT.toSeconds() + " s";
            }
            return (training.exitValue() != 0) ? "exited with " + training.exitValue() : null;
        }
        finally {
            killWithDescendants(training);
            try {
                Runtime.getRuntime().removeShutdownHook(killer);
            }
            catch (IllegalStateException ex) {
                // the JVM is shutting down: the hook runs anyway
            }
        }
    }

    /** The JVM that writes an AOT cache starts another one to assemble it: both go. */
    private static void killWithDescendants(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /** Another test JVM may have moved its own cache into place meanwhile: either is whole, either will do. */
    private void moveIntoPlace(Path output) throws IOException {
        try {
            Files.move(output, this.cache, StandardCopyOption.ATOMIC_MOVE);
        }
        catch (FileAlreadyExistsException ex) {
            // the other test JVM's cache stays
        }
    }

    private void warn(String failure) {
        String message = "The class-data training run of " + this.jar + " " + failure + "; its output is in "
                + trainingLog() + ". Its JVMs start without a cache, which costs only time";
        try {
            Files.writeString(failureMarker(), message + "\n", StandardCharsets.UTF_8);
        }
        catch (IOException ex) {
            // the next test JVM tries again
        }
        System.err.println("[quark-testkit] " + message);
    }

    private static void deleteQuietly(@Nullable Path folder) {
        if (folder == null || !Files.exists(folder)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
        catch (IOException ex) {
            // a temporary folder left in the extracted application's folder, removed with it by the next build
        }
    }

    /** What kind of cache the JVMs share. */
    enum Kind {

        /** An AOT cache (JDK 25 and later). */
        AOT_CACHE(".aot", "-XX:AOTCacheOutput=", "-XX:AOTCache="),

        /** A dynamic CDS archive on top of the JDK's own (JDK 13 and later). */
        CDS(".jsa", "-XX:ArchiveClassesAtExit=", "-XX:SharedArchiveFile="),

        /** None: every JVM loads its classes itself. */
        OFF("", "", "");

        private final String suffix;

        private final String trainingOption;

        private final String useOption;

        Kind(String suffix, String trainingOption, String useOption) {
            this.suffix = suffix;
            this.trainingOption = trainingOption;
            this.useOption = useOption;
        }

        /**
         * Returns the kind a value of {@value ClassDataCache#KIND_PROPERTY} names; {@code auto} is an AOT cache on JDK
         * 25 and later (where the JVM creates one in a single run), a CDS archive before.
         * @param value the property's value
         * @return the kind
         * @throws IllegalArgumentException for a value it does not know
         */
        static Kind chosen(String value) {
            return switch (value) {
                case "auto" -> (Runtime.version().feature() >= 25) ? AOT_CACHE : CDS;
                case "aot-cache" -> AOT_CACHE;
                case "cds" -> CDS;
                case "off" -> OFF;
                default -> throw new IllegalArgumentException(
                        KIND_PROPERTY + "=" + value + " is none of auto, aot-cache, cds and off");
            };
        }
    }
}
