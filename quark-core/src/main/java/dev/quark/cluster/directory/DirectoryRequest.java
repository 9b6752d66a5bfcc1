package dev.quark.cluster.directory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * What a silo asks the owner of a directory partition, as the payload of a {@code DIRECTORY} envelope (the
 * envelope names the actor); and the encoding of the answer, an entry or none.
 *
 * @param operation what to do
 * @param entry the activation to register, unregister or hand over; {@code null} for a lookup
 */
public record DirectoryRequest(Operation operation, @Nullable DirectoryEntry entry) {

    /**
     * Validates the components.
     */
    public DirectoryRequest {
        Objects.requireNonNull(operation, "operation must not be null");
        if (operation != Operation.LOOKUP && operation != Operation.LOOKUP_HELD && entry == null) {
            throw new IllegalArgumentException("A directory " + operation + " needs an entry");
        }
    }

    /**
     * Encodes the request.
     * @return the payload
     */
    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(this.operation.name());
            writeEntry(out, this.entry);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    /**
     * Decodes a request.
     * @param payload the payload of a {@code DIRECTORY} envelope
     * @return the request
     * @throws IllegalArgumentException when the payload is not a directory request
     */
    public static DirectoryRequest decode(byte[] payload) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload))) {
            Operation operation = Operation.valueOf(in.readUTF());
            DirectoryEntry entry = readEntry(in);
            return new DirectoryRequest(operation, entry);
        }
        catch (IOException | RuntimeException ex) {
            throw new IllegalArgumentException("Malformed directory request of " + payload.length + " bytes: "
                    + ex.getMessage(), ex);
        }
    }

    /**
     * Encodes an answer.
     * @param entry the entry, or {@code null} for none
     * @return the payload
     */
    public static byte[] encodeAnswer(@Nullable DirectoryEntry entry) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(48);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writeEntry(out, entry);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    /**
     * Decodes an answer.
     * @param payload the payload of the {@code RESPONSE}
     * @return the entry, or {@code null} for none
     * @throws IllegalArgumentException when the payload is not a directory answer
     */
    public static @Nullable DirectoryEntry decodeAnswer(byte[] payload) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload))) {
            return readEntry(in);
        }
        catch (IOException | RuntimeException ex) {
            throw new IllegalArgumentException("Malformed directory answer of " + payload.length + " bytes: "
                    + ex.getMessage(), ex);
        }
    }

    private static void writeEntry(DataOutputStream out, @Nullable DirectoryEntry entry) throws IOException {
        out.writeBoolean(entry != null);
        if (entry != null) {
            out.writeUTF(entry.siloId());
            out.writeLong(entry.epoch());
            out.writeLong(entry.token());
        }
    }

    private static @Nullable DirectoryEntry readEntry(DataInputStream in) throws IOException {
        if (!in.readBoolean()) {
            return null;
        }
        return new DirectoryEntry(in.readUTF(), in.readLong(), in.readLong());
    }

    /**
     * What a directory request asks.
     */
    public enum Operation {

        /** Register the activation unless another live one is registered; answers the registered entry. */
        REGISTER,

        /**
         * Register again an activation that was registered with the previous owner of the range, once the range
         * moved: as {@link #REGISTER}, but never held while the new owner waits for the silos' re-registrations
         * of a view (it is one of them).
         */
        REGISTER_AGAIN,

        /** Answers the registered entry, or none. */
        LOOKUP,

        /** Remove the entry if it is still the registered one; answers none. */
        UNREGISTER,

        /**
         * Take an entry from the previous owner of the range, unless a live one is registered; answers the
         * registered entry.
         */
        ADOPT,

        /**
         * Answers the entry this silo holds for the address, whether or not it still owns the range: the
         * new owner of a range asks its previous owner before registering anything in it.
         */
        LOOKUP_HELD,

        /**
         * Remove the entry if it names the given silo incarnation with a token no greater than the given one: a
         * silo that received a call for an actor it neither hosts nor is registering removes what an earlier,
         * failed removal left behind that names it; answers none.
         */
        REMOVE_STALE
    }
}
