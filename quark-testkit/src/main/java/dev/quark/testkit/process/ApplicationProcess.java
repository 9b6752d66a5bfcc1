package dev.quark.testkit.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * An application started from its executable jar in a JVM of its own, with the same {@code java} that runs
 * the tests, its standard output and error appended to {@code <name>.log}. {@link #kill()} is a
 * {@code SIGKILL} on Linux: the application has no chance to release leases or say goodbye, which is what
 * crash tests need. A shutdown hook kills it if the test JVM ends first, so no application outlives the
 * tests.
 * <p>
 * The JVM is started small and quick to warm ({@link #JVM_OPTIONS}): process tests start several at once on
 * machines with two cores. It runs the jar extracted ({@link #extracted(Path)}), not the jar itself: the same
 * classes, without Spring Boot's nested-jar class loading, which saves about a fifth of a start's CPU time (one silo
 * of the cluster sample: 10.6 to 13.0 s of CPU until it was ready from the jar, 8.7 to 10.4 s extracted, on a busy
 * two-core machine). With the system property {@code quark.testkit.process.class-data=auto} it also maps a
 * class-data cache of the extracted application (an AOT cache on JDK 25 and later, a CDS archive before), which the
 * first start of a jar creates in a training run with its properties: worth it for a jar started many times per build
 * only (see {@code ClassDataCache}).
 */
public final class ApplicationProcess implements AutoCloseable {

    /**
     * The options every JVM is started with: a small serial heap and the C1 compiler only. Those of its class-data
     * cache come after them.
     */
    public static final List<String> JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1");

    private static final Map<Path, Path> EXTRACTED = new ConcurrentHashMap<>();

    private static final Map<Path, List<String>> CLASS_DATA_OPTIONS = new ConcurrentHashMap<>();

    private final String name;

    private final Path log;

    private final Process process;

    private final Thread killer;

    private ApplicationProcess(String name, Path log, Process process) {
        this.name = name;
        this.log = log;
        this.process = process;
        this.killer = Thread.ofPlatform().unstarted(process::destroyForcibly);
        Runtime.getRuntime().addShutdownHook(this.killer);
    }

    /**
     * Starts an application without waiting for it to serve. When a class-data cache is asked for and the extracted
     * jar has none yet, the first start in a test JVM first waits for the training run that creates it, with the same
     * properties (15 to 30 s on a busy machine); the training ends before the application binds a port or starts any
     * lifecycle bean.
     * @param jar the application's executable jar
     * @param name a name for messages, also the log file's name; an application started again under the same
     * name appends to the same log
     * @param properties {@code name=value} properties, given as {@code --name=value} command-line arguments
     * @param logs the folder of the log file, created when missing
     * @return the started process
     * @throws UncheckedIOException when the log cannot be written or the JVM cannot be started
     */
    public static ApplicationProcess start(Path jar, String name, List<String> properties, Path logs) {
        Path application = extracted(jar);
        List<String> arguments = properties.stream().map((property) -> "--" + property).toList();
        List<String> command = new ArrayList<>();
        command.add(java());
        command.addAll(JVM_OPTIONS);
        command.addAll(classDataOptions(application, arguments));
        command.add("-jar");
        command.add(application.toString());
        command.addAll(arguments);
        try {
            Files.createDirectories(logs);
            Path log = logs.resolve(name + ".log");
            Files.writeString(log, "\n=== " + String.join(" ", command) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
            return new ApplicationProcess(name, log, process);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not start " + name + ": " + command, ex);
        }
    }

    /**
     * Returns the jar extracted next to it ({@code java -Djarmode=tools -jar <jar> extract}, into
     * {@code <jar name>-extracted/}): an executable jar whose manifest names its libraries in {@code lib/}, which
     * runs the same application as the jar. Extracted once per jar and test JVM; again when the jar's size or
     * time changed since (a new build), which a marker file in the folder records. Test JVMs that extract the same jar
     * at once (forks of surefire and failsafe) take turns, holding a file lock beside it
     * ({@code <jar name>.extract-lock}), so that none deletes the folder another one has just checked and runs.
     * @param jar Spring Boot's executable jar
     * @return the extracted application's jar
     * @throws UncheckedIOException when the jar cannot be extracted
     */
    public static Path extracted(Path jar) {
        return EXTRACTED.computeIfAbsent(jar.toAbsolutePath().normalize(), ApplicationProcess::extract);
    }

    /**
     * Returns the options that map the extracted application's class-data cache, trained with the arguments of the
     * first start when it has none yet; once per extracted jar and test JVM.
     */
    private static List<String> classDataOptions(Path application, List<String> arguments) {
        return CLASS_DATA_OPTIONS.computeIfAbsent(application,
                (key) -> ClassDataCache.of(key).options(java(), JVM_OPTIONS, arguments));
    }

    private static Path extract(Path jar) {
        Path lock = jar.resolveSibling(jar.getFileName() + ".extract-lock");
        try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock held = channel.lock()) {
            return extractHoldingTheLock(jar);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not lock " + lock + " to extract " + jar, ex);
        }
    }

    private static Path extractHoldingTheLock(Path jar) {
        String jarName = jar.getFileName().toString();
        Path folder = jar.resolveSibling(jarName.replaceFirst("\\.jar$", "") + "-extracted");
        Path extractedJar = folder.resolve(jarName);
        try {
            String source = Files.size(jar) + " " + Files.getLastModifiedTime(jar).toMillis();
            Path marker = folder.resolve(".extracted-from");
            if (Files.isRegularFile(extractedJar) && Files.isRegularFile(marker)
                    && Files.readString(marker, StandardCharsets.UTF_8).equals(source)) {
                return extractedJar;
            }
            Path temporary = Files.createTempDirectory(jar.getParent(), jarName + "-extracting-");
            Path output = jar.resolveSibling(jarName + "-extract.log");
            Process extract = new ProcessBuilder(java(), "-Djarmode=tools", "-jar", jar.toString(), "extract",
                    "--destination", temporary.toString())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
            if (!extract.waitFor(2, TimeUnit.MINUTES) || extract.exitValue() != 0
                    || !Files.isRegularFile(temporary.resolve(jarName))) {
                extract.destroyForcibly();
                deleteRecursively(temporary);
                throw new IllegalStateException("Could not extract " + jar + " (java -Djarmode=tools -jar " + jarName
                        + " extract); its output is in " + output);
            }
            Files.writeString(temporary.resolve(".extracted-from"), source, StandardCharsets.UTF_8);
            deleteRecursively(folder);
            Files.move(temporary, folder, StandardCopyOption.ATOMIC_MOVE);
            return extractedJar;
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not extract " + jar, ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while extracting " + jar, ex);
        }
    }

    private static void deleteRecursively(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * Returns a TCP port free on the loopback address at the time of the call, for an application to listen
     * on.
     * @return the port
     */
    public static int freeLoopbackPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
        catch (IOException ex) {
            throw new UncheckedIOException("No free loopback port", ex);
        }
    }

    /**
     * Returns the name given at start.
     * @return the name
     */
    public String name() {
        return this.name;
    }

    /**
     * Returns the operating system's id of the JVM.
     * @return the process id
     */
    public long pid() {
        return this.process.pid();
    }

    /**
     * Returns whether the JVM still runs.
     * @return {@code true} until it exited or was killed
     */
    public boolean isAlive() {
        return this.process.isAlive();
    }

    /**
     * Returns the log file the JVM's output goes to.
     * @return the path
     */
    public Path log() {
        return this.log;
    }

    /**
     * Kills the JVM at once ({@code SIGKILL} on Linux) and waits until it is gone.
     * @throws IllegalStateException when it still runs 30 s later
     */
    public void kill() {
        this.process.destroyForcibly();
        try {
            if (!this.process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(this + " outlived SIGKILL by 30 s");
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Kills the JVM if it still runs and forgets the shutdown hook.
     */
    @Override
    public void close() {
        if (this.process.isAlive()) {
            kill();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(this.killer);
        }
        catch (IllegalStateException ex) {
            // the JVM is shutting down: the hook runs anyway
        }
    }

    /**
     * Returns the end of the log, for failure messages.
     * @param lines how many lines
     * @return the last lines, or a note saying why the log could not be read
     */
    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(this.log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        }
        catch (IOException | UncheckedIOException ex) {
            return "(log " + this.log + " unreadable: " + ex.getMessage() + ")";
        }
    }

    @Override
    public String toString() {
        return this.name + " (pid " + this.process.pid() + ", log " + this.log + ")";
    }
}
