package dev.quark.cluster.transport.grpc;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

import io.netty.util.NetUtil;
import org.jspecify.annotations.Nullable;

/**
 * Whether a peer's certificate names the host it says it sends from, by the rules the JDK's trust manager checks a
 * server's certificate with for HTTPS (its {@code HostnameChecker} for TLS), the same that a silo's channels apply
 * to the silos they connect to, so that a certificate one silo accepts as a server the others accept as a client: an
 * IP address must be one of the certificate's IP address subject alternative names; a host name one of its DNS names
 * (case-insensitive, with as many labels, each label matched with {@code *} standing for any run of characters in
 * it, a name that is {@code *} alone or has no dot after its last {@code *} never matching), or, when it has no DNS
 * names, its subject's most specific common name. The JDK's further refusal of a wildcard right under a public
 * suffix applies only to chains of public authorities, which a cluster's own authority is not; internationalized
 * names are compared as given. The JDK has this check only inside its trust managers, bound to a handshake's engine,
 * not for a name that arrives after the handshake, in an envelope. An IP address is told from a host name by
 * Netty's literal parser, never by a look-up.
 */
final class PeerCertificateNames {

    private static final int DNS_NAME = 2;

    private static final int IP_ADDRESS = 7;

    private PeerCertificateNames() {
    }

    /**
     * Returns whether the certificate names the host.
     * @param certificate the peer's certificate, the first of its chain
     * @param host a host name or an IP address literal, as a silo advertises it
     * @return whether it names it
     */
    static boolean names(X509Certificate certificate, String host) {
        byte[] address = NetUtil.createByteArrayFromIpAddressString(host);
        List<String> dnsNames = new ArrayList<>();
        for (List<?> name : alternativeNames(certificate)) {
            if (name.size() < 2 || !(name.get(0) instanceof Integer type) || !(name.get(1) instanceof String value)) {
                continue;
            }
            if (address != null && type == IP_ADDRESS
                    && Arrays.equals(address, NetUtil.createByteArrayFromIpAddressString(value))) {
                return true;
            }
            if (type == DNS_NAME) {
                dnsNames.add(value);
            }
        }
        if (address != null) {
            return false;
        }
        String wanted = host.toLowerCase(Locale.ROOT);
        if (dnsNames.isEmpty()) {
            String commonName = commonName(certificate);
            return commonName != null && matches(wanted, commonName.toLowerCase(Locale.ROOT));
        }
        return dnsNames.stream().anyMatch((name) -> matches(wanted, name.toLowerCase(Locale.ROOT)));
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

    /** As the JDK's {@code HostnameChecker.matchAllWildcards}: as many labels, each matched with its wildcards. */
    private static boolean matches(String host, String template) {
        if (hasIllegalWildcard(template)) {
            return false;
        }
        String[] hostLabels = host.split("\\.", -1);
        String[] templateLabels = template.split("\\.", -1);
        if (hostLabels.length != templateLabels.length) {
            return false;
        }
        for (int i = 0; i < hostLabels.length; i++) {
            if (!matchesLabel(hostLabels[i], templateLabels[i])) {
                return false;
            }
        }
        return true;
    }

    /** A name that is a wildcard alone, or without a dot after its last wildcard ({@code *com}). */
    private static boolean hasIllegalWildcard(String template) {
        if (template.equals("*") || template.equals("*.")) {
            return true;
        }
        int lastWildcard = template.lastIndexOf('*');
        return lastWildcard >= 0 && template.indexOf('.', lastWildcard) < 0;
    }

    /**
     * One label against one label of a name, each {@code *} standing for any run of characters; as the JDK's
     * {@code matchWildCards}, each piece between wildcards is matched at its first occurrence, without backtracking.
     */
    private static boolean matchesLabel(String label, String template) {
        int star = template.indexOf('*');
        if (star < 0) {
            return label.equals(template);
        }
        String rest = label;
        String pattern = template;
        boolean first = true;
        while (star >= 0) {
            String piece = pattern.substring(0, star);
            pattern = pattern.substring(star + 1);
            int at = rest.indexOf(piece);
            if (at < 0 || (first && at != 0)) {
                return false;
            }
            first = false;
            rest = rest.substring(at + piece.length());
            star = pattern.indexOf('*');
        }
        return rest.endsWith(pattern);
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
