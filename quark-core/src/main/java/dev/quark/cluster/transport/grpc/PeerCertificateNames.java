package dev.quark.cluster.transport.grpc;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

import org.jspecify.annotations.Nullable;

/**
 * Whether a peer's certificate names the host it says it sends from, by the rules an HTTPS client checks a server's
 * certificate with (RFC 2818, RFC 6125), the same that a silo's channels apply to the silos they connect to: an IP
 * address must be one of the certificate's IP address subject alternative names; a host name one of its DNS names
 * (case-insensitive, a trailing dot ignored, a {@code *} only in the leftmost label and matching one label, never
 * right under a top-level label such as {@code *.com}), or, when it has no DNS names, its subject's most specific
 * common name. The JDK has this check only inside its trust managers, bound to a handshake's engine, not for a name
 * that arrives after the handshake, in an envelope.
 */
final class PeerCertificateNames {

    private static final int DNS_NAME = 2;

    private static final int IP_ADDRESS = 7;

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private PeerCertificateNames() {
    }

    /**
     * Returns whether the certificate names the host.
     * @param certificate the peer's certificate, the first of its chain
     * @param host a host name or an IP address literal, as a silo advertises it
     * @return whether it names it
     */
    static boolean names(X509Certificate certificate, String host) {
        boolean ip = isIpLiteral(host);
        List<String> dnsNames = new ArrayList<>();
        for (List<?> name : alternativeNames(certificate)) {
            if (name.size() < 2 || !(name.get(0) instanceof Integer type) || !(name.get(1) instanceof String value)) {
                continue;
            }
            if (ip && type == IP_ADDRESS && sameAddress(host, value)) {
                return true;
            }
            if (type == DNS_NAME) {
                dnsNames.add(value);
            }
        }
        if (ip) {
            return false;
        }
        String wanted = normalized(host);
        if (dnsNames.isEmpty()) {
            String commonName = commonName(certificate);
            return commonName != null && matches(wanted, normalized(commonName));
        }
        return dnsNames.stream().anyMatch((name) -> matches(wanted, normalized(name)));
    }

    /**
     * Describes what a certificate names, for an error that says why it was refused.
     * @param certificate the certificate
     * @return its subject and alternative names, as {@code subject CN=a, names [DNS:a.example, IP:10.0.0.5]}
     */
    static String describe(X509Certificate certificate) {
        List<String> names = new ArrayList<>();
        for (List<?> name : alternativeNames(certificate)) {
            if (name.size() >= 2 && name.get(0) instanceof Integer type && name.get(1) instanceof String value) {
                if (type == DNS_NAME) {
                    names.add("DNS:" + value);
                }
                else if (type == IP_ADDRESS) {
                    names.add("IP:" + value);
                }
            }
        }
        return "subject " + certificate.getSubjectX500Principal().getName() + ", names " + names;
    }

    private static Collection<List<?>> alternativeNames(X509Certificate certificate) {
        try {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            return (names != null) ? names : List.of();
        }
        catch (CertificateParsingException ex) {
            return List.of();
        }
    }

    private static boolean isIpLiteral(String host) {
        return host.indexOf(':') >= 0 || IPV4.matcher(host).matches();
    }

    /** Compares two IP address literals ({@link InetAddress#getByName} parses a literal without a look-up). */
    private static boolean sameAddress(String host, String name) {
        if (!isIpLiteral(name)) {
            return false;
        }
        try {
            return InetAddress.getByName(unbracketed(host)).equals(InetAddress.getByName(unbracketed(name)));
        }
        catch (UnknownHostException ex) {
            return false;
        }
    }

    private static String unbracketed(String address) {
        return (address.startsWith("[") && address.endsWith("]")) ? address.substring(1, address.length() - 1)
                : address;
    }

    private static String normalized(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }

    private static boolean matches(String host, String template) {
        if (template.isEmpty()) {
            return false;
        }
        int wildcard = template.indexOf('*');
        if (wildcard < 0) {
            return host.equals(template);
        }
        int firstDot = template.indexOf('.');
        // A * only in the leftmost label, with at least two labels after it (not *.com).
        if (firstDot < 0 || wildcard > firstDot || template.indexOf('*', wildcard + 1) >= 0
                || template.indexOf('.', firstDot + 1) < 0) {
            return false;
        }
        int hostDot = host.indexOf('.');
        if (hostDot <= 0 || !host.substring(hostDot).equals(template.substring(firstDot))) {
            return false;
        }
        String label = host.substring(0, hostDot);
        String prefix = template.substring(0, wildcard);
        String suffix = template.substring(wildcard + 1, firstDot);
        return label.length() >= prefix.length() + suffix.length() && label.startsWith(prefix)
                && label.endsWith(suffix);
    }

    private static @Nullable String commonName(X509Certificate certificate) {
        try {
            LdapName subject = new LdapName(certificate.getSubjectX500Principal().getName());
            String commonName = null;
            // The most specific one: the leftmost of the RFC 2253 string, the last of LdapName's right-to-left list.
            for (Rdn rdn : subject.getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN") && rdn.getValue() instanceof String value) {
                    commonName = value;
                }
            }
            return commonName;
        }
        catch (InvalidNameException ex) {
            return null;
        }
    }
}
