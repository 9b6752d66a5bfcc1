package dev.quark.testkit.server;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * Just enough of the Redis protocol to check that a server answers and to delete test keys, without a
 * client library.
 */
final class RespClient implements AutoCloseable {

    private static final int TIMEOUT_MILLIS = 5_000;

    private final Socket socket;

    private final InputStream in;

    private final OutputStream out;

    RespClient(String host, int port, @Nullable String password) throws IOException {
        this.socket = new Socket();
        this.socket.connect(new InetSocketAddress(host, port), TIMEOUT_MILLIS);
        this.socket.setSoTimeout(TIMEOUT_MILLIS);
        this.in = new BufferedInputStream(this.socket.getInputStream());
        this.out = this.socket.getOutputStream();
        if (password != null) {
            command("AUTH", password);
        }
    }

    /**
     * Sends a command and returns its reply: a {@code String}, {@code Long}, {@code List} or {@code null}.
     * @throws IOException for an error reply or a broken connection
     */
    @Nullable Object command(String... arguments) throws IOException {
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(("*" + arguments.length + "\r\n").getBytes(StandardCharsets.UTF_8));
        for (String argument : arguments) {
            byte[] bytes = argument.getBytes(StandardCharsets.UTF_8);
            request.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.UTF_8));
            request.writeBytes(bytes);
            request.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        this.out.write(request.toByteArray());
        this.out.flush();
        return reply();
    }

    private @Nullable Object reply() throws IOException {
        int type = this.in.read();
        String line = line();
        return switch (type) {
            case '+' -> line;
            case '-' -> throw new IOException("Redis replied: " + line);
            case ':' -> Long.parseLong(line);
            case '$' -> bulk(Integer.parseInt(line));
            case '*' -> array(Integer.parseInt(line));
            case -1 -> throw new IOException("Redis closed the connection");
            default -> throw new IOException("Unexpected Redis reply type '" + (char) type + "'");
        };
    }

    private @Nullable String bulk(int length) throws IOException {
        if (length < 0) {
            return null;
        }
        byte[] bytes = this.in.readNBytes(length + 2);
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }

    private @Nullable List<@Nullable Object> array(int length) throws IOException {
        if (length < 0) {
            return null;
        }
        List<@Nullable Object> items = new ArrayList<>(length);
        for (int i = 0; i < length; i++) {
            items.add(reply());
        }
        return items;
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int previous = -1;
        for (int next = this.in.read(); next != -1; next = this.in.read()) {
            if (previous == '\r' && next == '\n') {
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
            }
            line.write(next);
            previous = next;
        }
        throw new IOException("Redis closed the connection");
    }

    @Override
    public void close() throws IOException {
        this.socket.close();
    }
}
