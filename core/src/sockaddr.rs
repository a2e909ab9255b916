//! Socket addresses as the kernel lays them out: the family first, the
//! IPv4/IPv6 port at byte 2; and the socket options the built-ins that act
//! on a child's socket (bind/listen, policy_fn's connect) read.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, BorrowedFd};

/// The largest address the kernel accepts (`sizeof(struct sockaddr_storage)`).
pub(crate) const MAX_ADDR: usize = 128;

/// An integer `SOL_SOCKET` option, whatever its value (nix's typed options
/// fail on values they do not name).
pub(crate) fn int_option(socket: BorrowedFd<'_>, option: libc::c_int) -> Result<libc::c_int, i32> {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` and `len` are valid for writes of the sizes given.
    let rc = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            option,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if rc < 0 {
        return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO));
    }
    Ok(value)
}

/// The family, address and port of a socket address given as bytes (the
/// kernel's layout: the family first, IPv4/IPv6 port at byte 2).
pub(crate) fn decode(bytes: &[u8]) -> (i32, Option<IpAddr>, Option<u16>) {
    if bytes.len() < 2 {
        return (libc::AF_UNSPEC, None, None);
    }
    let family = i32::from(u16::from_ne_bytes([bytes[0], bytes[1]]));
    let port = bytes.get(2..4).map(|p| u16::from_be_bytes([p[0], p[1]]));
    let addr = match family {
        libc::AF_INET if bytes.len() >= 8 => Some(IpAddr::V4(Ipv4Addr::new(bytes[4], bytes[5], bytes[6], bytes[7]))),
        libc::AF_INET6 if bytes.len() >= 24 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&bytes[8..24]);
            Some(IpAddr::V6(Ipv6Addr::from(octets)))
        }
        _ => return (family, None, None),
    };
    (family, addr, port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_decode_like_the_kernel_lays_them_out() {
        let mut v4 = [0u8; 16];
        v4[..2].copy_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
        v4[2..4].copy_from_slice(&443u16.to_be_bytes());
        v4[4..8].copy_from_slice(&[10, 0, 0, 7]);
        assert_eq!(decode(&v4), (libc::AF_INET, Some("10.0.0.7".parse().unwrap()), Some(443)));
        let mut v6 = [0u8; 28];
        v6[..2].copy_from_slice(&(libc::AF_INET6 as u16).to_ne_bytes());
        v6[2..4].copy_from_slice(&80u16.to_be_bytes());
        v6[23] = 1;
        assert_eq!(decode(&v6), (libc::AF_INET6, Some("::1".parse().unwrap()), Some(80)));
        assert_eq!(decode(&[1, 0, b'/', b't']), (libc::AF_UNIX, None, None));
        assert_eq!(decode(&[2]), (libc::AF_UNSPEC, None, None));
    }
}
